using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A <c>model_plot</c> point: the model's bounds and median for one series in one bucket.</summary>
public sealed class ModelPlotDocument
{
    /// <summary>Job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Bucket span in seconds.</summary>
    public long BucketSpan { get; init; }

    /// <summary>Detector index.</summary>
    public int DetectorIndex { get; init; }

    /// <summary>Bucket start, epoch milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>Partition field name, or null.</summary>
    public string? PartitionFieldName { get; init; }

    /// <summary>Partition field value, or null.</summary>
    public string? PartitionFieldValue { get; init; }

    /// <summary>Over field name, or null.</summary>
    public string? OverFieldName { get; init; }

    /// <summary>Over field value, or null.</summary>
    public string? OverFieldValue { get; init; }

    /// <summary>By field name, or null.</summary>
    public string? ByFieldName { get; init; }

    /// <summary>By field value, or null.</summary>
    public string? ByFieldValue { get; init; }

    /// <summary>Model feature description, e.g. <c>'arithmetic mean value by person'</c>.</summary>
    public string? ModelFeature { get; init; }

    /// <summary>Lower bound of the 95% interval.</summary>
    public double ModelLower { get; init; }

    /// <summary>Upper bound of the 95% interval.</summary>
    public double ModelUpper { get; init; }

    /// <summary>Model median (typical).</summary>
    public double ModelMedian { get; init; }

    /// <summary>Actual bucket value, or null when the series had no value.</summary>
    public double? Actual { get; init; }

    /// <summary>Writes the ES JSON object (field order as ES's <c>ModelPlot.toXContent</c>).</summary>
    public void WriteTo(Utf8JsonWriter w, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        w.WriteString("result_type", "model_plot");
        w.WriteNumber("bucket_span", BucketSpan);
        w.WriteNumber("detector_index", DetectorIndex);
        ResultJson.WriteTime(w, human, "timestamp", Timestamp);
        WriteOptional(w, "partition_field_name", PartitionFieldName);
        WriteOptional(w, "partition_field_value", PartitionFieldValue);
        WriteOptional(w, "over_field_name", OverFieldName);
        WriteOptional(w, "over_field_value", OverFieldValue);
        WriteOptional(w, "by_field_name", ByFieldName);
        WriteOptional(w, "by_field_value", ByFieldValue);
        WriteOptional(w, "model_feature", ModelFeature);
        w.WriteNumber("model_lower", ModelLower);
        w.WriteNumber("model_upper", ModelUpper);
        w.WriteNumber("model_median", ModelMedian);
        if (Actual is { } actual)
        {
            w.WriteNumber("actual", actual);
        }

        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
