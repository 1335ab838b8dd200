using System.Text.Json;

namespace Vigil.Engine.Jobs;

/// <summary>A job's <c>model_size_stats</c>.</summary>
/// <param name="ModelBytes">Bytes the models hold now.</param>
/// <param name="PeakModelBytes">Largest model bytes seen.</param>
/// <param name="ModelMemoryLimitBytes">The job's model memory limit in bytes.</param>
/// <param name="ByFieldCount">Distinct by-field values modelled.</param>
/// <param name="OverFieldCount">Distinct over-field values modelled.</param>
/// <param name="PartitionFieldCount">Distinct partition-field values modelled.</param>
/// <param name="LogTime">When the statistics were taken (epoch ms).</param>
/// <param name="Timestamp">Latest record time when taken (epoch ms), if any.</param>
/// <param name="Categorization">The categorizer's statistics when the job categorizes; null reports Elasticsearch's
/// zeros and <c>ok</c>.</param>
public sealed record ModelSizeStats(
    long ModelBytes,
    long PeakModelBytes,
    long ModelMemoryLimitBytes,
    long ByFieldCount,
    long OverFieldCount,
    long PartitionFieldCount,
    long LogTime,
    long? Timestamp,
    Categorization.CategorizerStats? Categorization = null)
{
    /// <summary>
    /// <c>ok</c>, <c>soft_limit</c> above 60% of the limit, <c>hard_limit</c> above it (Elasticsearch's
    /// thresholds; Vigil does not yet prune or refuse new series at those levels).
    /// </summary>
    public string MemoryStatus => ModelBytes > ModelMemoryLimitBytes ? "hard_limit"
        : ModelBytes > ModelMemoryLimitBytes * 6 / 10 ? "soft_limit" : "ok";

    /// <summary>Writes the object in Elasticsearch's field order.</summary>
    public void WriteTo(Utf8JsonWriter w, string jobId)
    {
        w.WriteStartObject();
        w.WriteString("job_id", jobId);
        w.WriteString("result_type", "model_size_stats");
        w.WriteNumber("model_bytes", ModelBytes);
        w.WriteNumber("peak_model_bytes", PeakModelBytes);
        if (ModelBytes > ModelMemoryLimitBytes)
        {
            w.WriteNumber("model_bytes_exceeded", ModelBytes - ModelMemoryLimitBytes);
        }

        w.WriteNumber("model_bytes_memory_limit", ModelMemoryLimitBytes);
        w.WriteNumber("total_by_field_count", ByFieldCount);
        w.WriteNumber("total_over_field_count", OverFieldCount);
        w.WriteNumber("total_partition_field_count", PartitionFieldCount);
        w.WriteNumber("bucket_allocation_failures_count", 0);
        w.WriteString("memory_status", MemoryStatus);
        var c = Categorization;
        w.WriteNumber("categorized_doc_count", c?.CategorizedDocCount ?? 0);
        w.WriteNumber("total_category_count", c?.TotalCategoryCount ?? 0);
        w.WriteNumber("frequent_category_count", c?.FrequentCategoryCount ?? 0);
        w.WriteNumber("rare_category_count", c?.RareCategoryCount ?? 0);
        w.WriteNumber("dead_category_count", c?.DeadCategoryCount ?? 0);
        w.WriteNumber("failed_category_count", c?.FailedCategoryCount ?? 0);
        w.WriteString("categorization_status", c?.CategorizationStatus ?? "ok");
        w.WriteNumber("log_time", LogTime);
        if (Timestamp is { } ts)
        {
            w.WriteNumber("timestamp", ts);
        }

        w.WriteEndObject();
    }
}
