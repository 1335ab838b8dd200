using System.Globalization;
using System.Text.Json;

namespace Vigil.Engine.Configuration;

/// <summary>Writes a job configuration in Elasticsearch's output shape and field order.</summary>
/// <remarks>
/// Implementation note: mirrors <c>Job.toXContent</c>, <c>AnalysisConfig.toXContent</c>, <c>Detector.toXContent</c>
/// (the description comes first), <c>DetectionRule</c>, <c>AnalysisLimits</c> (<c>"&lt;N&gt;mb"</c>),
/// <c>DataDescription</c> (time_field and time_format only) and <c>ModelPlotConfig</c>. Durations keep the unit they
/// were given in; optional fields that are unset are omitted; <c>deleting</c> only when true; <c>groups</c> only
/// when not empty; <c>per_partition_categorization</c> only when categorization is used.
/// </remarks>
public static class JobConfigWriter
{
    /// <summary>Writes <paramref name="job"/> as one JSON object.</summary>
    /// <param name="writer">Destination.</param>
    /// <param name="job">The job.</param>
    /// <param name="excludeGenerated">ES <c>exclude_generated</c>: leaves out generated fields and datafeed_config.</param>
    public static void Write(Utf8JsonWriter writer, JobConfig job, bool excludeGenerated = false) =>
        Write(writer, job, excludeGenerated, human: false);

    /// <summary>As <see cref="Write(Utf8JsonWriter, JobConfig, bool)"/>; with <paramref name="human"/> each time field
    /// gets a <c>&lt;name&gt;_string</c> ISO twin written before it (ES <c>?human=true</c>).</summary>
    public static void Write(Utf8JsonWriter writer, JobConfig job, bool excludeGenerated, bool human)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(job);
        writer.WriteStartObject();
        writer.WriteString("job_id", job.JobId);
        if (!excludeGenerated)
        {
            writer.WriteString("job_type", job.JobType);
            if (job.JobVersion is not null)
            {
                writer.WriteString("job_version", job.JobVersion);
            }

            WriteTime(writer, "create_time", job.CreateTime, human);
            if (job.FinishedTime is { } finished)
            {
                WriteTime(writer, "finished_time", finished, human);
            }

            if (job.ModelSnapshotId is not null)
            {
                writer.WriteString("model_snapshot_id", job.ModelSnapshotId);
            }

            if (job.Deleting)
            {
                writer.WriteBoolean("deleting", true);
            }

            if (job.ModelSnapshotMinVersion is not null)
            {
                writer.WriteString("model_snapshot_min_version", job.ModelSnapshotMinVersion);
            }

            WriteRaw(writer, "custom_settings", job.CustomSettings);
            WriteRaw(writer, "datafeed_config", job.DatafeedConfig);
        }
        else if (job.CustomSettings is not null)
        {
            // Implementation note: ES copies custom_settings into a HashMap without the generated created_by entry.
            var settings = JNode.Parse(System.Text.Encoding.UTF8.GetBytes(job.CustomSettings));
            writer.WriteStartObject("custom_settings");
            foreach (var p in JavaMapOrder.Order(settings.Properties))
            {
                if (p.Name == "created_by")
                {
                    continue;
                }

                writer.WritePropertyName(p.Name);
                p.Value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        if (job.Groups.Count > 0)
        {
            WriteStrings(writer, "groups", job.Groups);
        }

        if (job.Description is not null)
        {
            writer.WriteString("description", job.Description);
        }

        writer.WritePropertyName("analysis_config");
        WriteAnalysisConfig(writer, job.AnalysisConfig);
        if (job.AnalysisLimits is { } limits)
        {
            writer.WriteStartObject("analysis_limits");
            if (limits.ModelMemoryLimitMb is { } mml)
            {
                writer.WriteString("model_memory_limit", mml.ToString(CultureInfo.InvariantCulture) + "mb");
            }

            if (limits.CategorizationExamplesLimit is { } examples)
            {
                writer.WriteNumber("categorization_examples_limit", examples);
            }

            writer.WriteEndObject();
        }

        var dd = job.DataDescription;
        writer.WriteStartObject("data_description");
        writer.WriteString("time_field", dd.TimeField);
        writer.WriteString("time_format", dd.TimeFormat);
        writer.WriteEndObject();
        if (job.ModelPlotConfig is { } plot)
        {
            writer.WriteStartObject("model_plot_config");
            writer.WriteBoolean("enabled", plot.Enabled);
            if (plot.Terms is not null)
            {
                writer.WriteString("terms", plot.Terms);
            }

            writer.WriteBoolean("annotations_enabled", plot.AnnotationsEnabled);
            writer.WriteEndObject();
        }

        WriteOptional(writer, "renormalization_window_days", job.RenormalizationWindowDays);
        if (job.BackgroundPersistInterval is { } bpi)
        {
            writer.WriteString("background_persist_interval", bpi.ToStringRep());
        }

        WriteOptional(writer, "model_snapshot_retention_days", job.ModelSnapshotRetentionDays);
        WriteOptional(writer, "daily_model_snapshot_retention_after_days", job.DailyModelSnapshotRetentionAfterDays);
        WriteOptional(writer, "results_retention_days", job.ResultsRetentionDays);
        WriteOptional(writer, "system_annotations_retention_days", job.SystemAnnotationsRetentionDays);
        writer.WriteString("results_index_name", job.ResultsIndexName);
        writer.WriteBoolean("allow_lazy_open", job.AllowLazyOpen);
        if (!excludeGenerated && job.Blocked is { } blocked)
        {
            writer.WriteStartObject("blocked");
            writer.WriteString("reason", blocked.Reason);
            if (blocked.TaskId is not null)
            {
                writer.WriteString("task_id", blocked.TaskId);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes a job to a UTF-8 byte array.</summary>
    public static byte[] ToUtf8(JobConfig job, bool excludeGenerated = false)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, job, excludeGenerated);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes one detector object (as in the job output, with <c>detector_index</c>).</summary>
    public static void WriteDetector(Utf8JsonWriter writer, Detector d)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(d);
        writer.WriteStartObject();
        writer.WriteString("detector_description", d.DetectorDescription);
        writer.WriteString("function", d.Function);
        WriteOptional(writer, "field_name", d.FieldName);
        WriteOptional(writer, "by_field_name", d.ByFieldName);
        WriteOptional(writer, "over_field_name", d.OverFieldName);
        WriteOptional(writer, "partition_field_name", d.PartitionFieldName);
        if (d.UseNull)
        {
            writer.WriteBoolean("use_null", true);
        }

        WriteOptional(writer, "exclude_frequent", d.ExcludeFrequent);
        if (d.CustomRules.Count > 0)
        {
            writer.WriteStartArray("custom_rules");
            foreach (var rule in d.CustomRules)
            {
                WriteRule(writer, rule);
            }

            writer.WriteEndArray();
        }

        if (d.DetectorIndex >= 0)
        {
            writer.WriteNumber("detector_index", d.DetectorIndex);
        }

        writer.WriteEndObject();
    }

    private static void WriteAnalysisConfig(Utf8JsonWriter writer, AnalysisConfig ac)
    {
        writer.WriteStartObject();
        writer.WriteString("bucket_span", ac.BucketSpan.ToStringRep());
        WriteOptional(writer, "categorization_field_name", ac.CategorizationFieldName);
        if (ac.CategorizationFilters is not null)
        {
            WriteStrings(writer, "categorization_filters", ac.CategorizationFilters);
        }

        if (ac.CategorizationAnalyzer is { } analyzer)
        {
            if (analyzer.Name is not null)
            {
                writer.WriteString("categorization_analyzer", analyzer.Name);
            }
            else
            {
                WriteRaw(writer, "categorization_analyzer", analyzer.CustomJson);
            }
        }

        if (ac.CategorizationFieldName is not null)
        {
            writer.WriteStartObject("per_partition_categorization");
            writer.WriteBoolean("enabled", ac.PerPartitionCategorization.Enabled);
            writer.WriteBoolean("stop_on_warn", ac.PerPartitionCategorization.StopOnWarn);
            writer.WriteEndObject();
        }

        if (ac.Latency is { } latency)
        {
            writer.WriteString("latency", latency.ToStringRep());
        }

        WriteOptional(writer, "summary_count_field_name", ac.SummaryCountFieldName);
        writer.WriteStartArray("detectors");
        foreach (var d in ac.Detectors)
        {
            WriteDetector(writer, d);
        }

        writer.WriteEndArray();
        WriteStrings(writer, "influencers", ac.Influencers);
        if (ac.MultivariateByFields is { } multivariate)
        {
            writer.WriteBoolean("multivariate_by_fields", multivariate);
        }

        if (ac.ModelPruneWindow is { } window)
        {
            writer.WriteString("model_prune_window", window.ToStringRep());
        }

        writer.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter writer, DetectionRule rule)
    {
        writer.WriteStartObject();
        WriteStrings(writer, "actions", rule.Actions);
        if (rule.Scope.Count > 0)
        {
            writer.WriteStartObject("scope");
            foreach (var s in rule.Scope)
            {
                writer.WriteStartObject(s.FieldName);
                writer.WriteString("filter_id", s.FilterId);
                writer.WriteString("filter_type", s.FilterType);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        if (rule.Conditions.Count > 0)
        {
            writer.WriteStartArray("conditions");
            foreach (var c in rule.Conditions)
            {
                writer.WriteStartObject();
                writer.WriteString("applies_to", c.AppliesTo);
                writer.WriteString("operator", c.Operator);
                writer.WritePropertyName("value");
                writer.WriteRawValue(c.ValueText, skipInputValidation: false);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (rule.ForceTimeShiftAmount is { } shift)
        {
            writer.WriteStartObject("params");
            writer.WriteStartObject("force_time_shift");
            writer.WriteNumber("time_shift_amount", shift);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset time, bool human)
    {
        if (human)
        {
            writer.WriteString(name + "_string", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        writer.WriteNumber(name, time.ToUnixTimeMilliseconds());
    }

    private static void WriteRaw(Utf8JsonWriter writer, string name, string? json)
    {
        if (json is null)
        {
            return;
        }

        writer.WritePropertyName(name);
        writer.WriteRawValue(json, skipInputValidation: false);
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteStringValue(v);
        }

        writer.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
    }
}
