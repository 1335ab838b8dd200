using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// Parses job configurations exactly as Elasticsearch does for PUT, <c>_validate</c>, <c>_validate/detector</c> and
/// for reading stored configs back.
/// </summary>
/// <remarks>
/// Implementation note: mirrors <c>Job.STRICT_PARSER</c> (PUT), <c>Job.REST_REQUEST_PARSER</c> (validate; the
/// generated fields are unknown there, so setting them is an <c>x_content_parse_exception</c>),
/// <c>PutJobAction.Request</c> (id consistency, <c>validateInputFields</c>, duplicate detectors, fields illegal at
/// creation) and <c>JobManager.putJob</c> (model memory limit default and maximum, categorization filters turned
/// into an analyzer, build-time defaults).
/// </remarks>
public static class JobConfigParser
{
    /// <summary>Default model memory limit in MiB (1024).</summary>
    public const long DefaultModelMemoryLimitMb = 1024;

    /// <summary>Default categorization examples limit (4).</summary>
    public const long DefaultCategorizationExamplesLimit = 4;

    /// <summary>Default model snapshot retention (10 days).</summary>
    public const long DefaultModelSnapshotRetentionDays = 10;

    /// <summary>Default daily model snapshot retention after (1 day).</summary>
    public const long DefaultDailyModelSnapshotRetentionAfterDays = 1;

    /// <summary>PUT <c>/_ml/anomaly_detectors/{id}</c>: parses, validates and fills defaults.</summary>
    /// <param name="json">The request body.</param>
    /// <param name="urlJobId">The job id from the URL.</param>
    /// <param name="now">Creation time.</param>
    /// <param name="jobVersion">Server version recorded as <c>job_version</c>.</param>
    /// <exception cref="ElasticsearchException">With ES's type, status and reason.</exception>
    public static JobConfig ParseForCreate(ReadOnlySpan<byte> json, string urlJobId, DateTimeOffset now, string jobVersion) =>
        ParseForCreate(json, urlJobId, now, jobVersion, maxModelMemoryLimitMb: null);

    /// <summary>As <see cref="ParseForCreate(ReadOnlySpan{byte}, string, DateTimeOffset, string)"/>, honouring the
    /// <c>xpack.ml.max_model_memory_limit</c> setting (MiB) when given.</summary>
    public static JobConfig ParseForCreate(
        ReadOnlySpan<byte> json, string urlJobId, DateTimeOffset now, string jobVersion, long? maxModelMemoryLimitMb)
    {
        var b = Parse(json, strict: true, allowInternal: true);
        if (b.JobId is null)
        {
            b.JobId = urlJobId;
        }
        else if (!string.IsNullOrEmpty(urlJobId) && b.JobId != urlJobId)
        {
            throw ElasticsearchException.IllegalArgument(
                $"Inconsistent job_id; '{b.JobId}' specified in the body differs from '{urlJobId}' specified as a URL argument");
        }

        b.ValidateInputFields();
        b.ValidateDetectorsAreUnique();
        var illegal = new List<string>();
        if (b.ModelSnapshotId is not null)
        {
            illegal.Add("model_snapshot_id");
        }

        if (b.FinishedTime is not null)
        {
            illegal.Add("finished_time");
        }

        if (b.CreateTime is not null)
        {
            illegal.Add("create_time");
        }

        if (illegal.Count > 0)
        {
            throw ElasticsearchException.IllegalArgument(
                $"The job is configured with fields [{string.Join(",", illegal)}] that are illegal to set at job creation");
        }

        b.AnalysisLimits = ValidateAndSetLimitDefaults(b.AnalysisLimits, maxModelMemoryLimitMb);

        // Implementation note: JobManager.validateCategorizationAnalyzerOrSetDefault gives every new categorization
        // job without an analyzer the standard one (first_non_blank_line, ml_standard, date-word stop filter),
        // moving any categorization_filters into it as pattern_replace char filters.
        var ac = b.AnalysisConfig!;
        if (ac.CategorizationFieldName is not null && ac.CategorizationAnalyzer is null)
        {
            b.AnalysisConfig = ac with
            {
                CategorizationAnalyzer = ConfigParsers.StandardAnalyzerWithFilters(ac.CategorizationFilters ?? []),
                CategorizationFilters = null,
            };
        }

        if (b.DatafeedConfig is not null)
        {
            b.DatafeedConfig = BindDatafeed(b.DatafeedConfig, b.JobId!);
        }

        b.CreateTime = now;
        b.JobVersion = jobVersion;
        b.JobType = JobConfig.AnomalyDetectorJobType;
        b.Deleting = false;
        b.Blocked = null;
        if (string.IsNullOrEmpty(b.ResultsIndexName) || b.ResultsIndexName == "shared")
        {
            b.ResultsIndexName = "shared";
        }
        else if (!b.ResultsIndexName.StartsWith("custom-", StringComparison.Ordinal))
        {
            b.ResultsIndexName = "custom-" + b.ResultsIndexName;
        }

        return b.Build(applyDefaults: true);
    }

    /// <summary>POST <c>/_ml/anomaly_detectors/_validate</c>: the body need not carry a job id.</summary>
    /// <exception cref="ElasticsearchException">With ES's type, status and reason.</exception>
    public static void ValidateJob(ReadOnlySpan<byte> json)
    {
        var b = Parse(json, strict: true, allowInternal: false);
        b.JobId ??= "ok";
        b.ValidateDetectorsAreUnique();
        b.ValidateInputFields();
        b.AnalysisLimits = ValidateAndSetLimitDefaults(b.AnalysisLimits, null);
    }

    /// <summary>POST <c>/_ml/anomaly_detectors/_validate/detector</c>: one detector, errors not wrapped.</summary>
    /// <exception cref="ElasticsearchException">With ES's type, status and reason.</exception>
    public static void ValidateDetector(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        ConfigParsers.ParseDetector(x, root, strict: true);
    }

    /// <summary>Parses one detector and returns it (index 0), validated as <see cref="ValidateDetector"/> does.</summary>
    public static Detector ParseDetector(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        return ConfigParsers.ParseDetector(new XContent(json), root, strict: true);
    }

    /// <summary>
    /// Reads back a config written by <see cref="JobConfigWriter.Write(System.Text.Json.Utf8JsonWriter, JobConfig, bool)"/>:
    /// all fields, no create-time rules, and (like ES's lenient parsers for stored configs) unknown fields ignored.
    /// </summary>
    public static JobConfig ParseStored(ReadOnlySpan<byte> json)
    {
        var b = Parse(json, strict: false, allowInternal: true);
        if (b.JobId is null || b.AnalysisConfig is null)
        {
            throw ElasticsearchException.IllegalArgument("Stored job config lacks job_id or analysis_config");
        }

        return b.Build(applyDefaults: false);
    }

    /// <summary>
    /// Deprecation warnings ES emits when a job is created (bucket spans that do not divide a day).
    /// </summary>
    public static IReadOnlyList<string> DeprecationWarnings(JobConfig job)
    {
        var span = job.AnalysisConfig.BucketSpan;
        var seconds = span.TotalSeconds;
        if (seconds > 0 && 86400 % seconds != 0)
        {
            return
            [
                $"bucket_span {span.ToStringRep()} [{seconds.ToString(CultureInfo.InvariantCulture)}s] is not an integral divisor of the number of seconds in 1d [86400s]. This is now deprecated.",
            ];
        }

        return [];
    }

    /// <summary>
    /// ES <c>Job.Builder.build</c> for an embedded datafeed: <c>datafeed_id</c> defaults to the job id, a different
    /// <c>job_id</c> is refused, and both are written first. The rest of the datafeed is echoed unvalidated.
    /// </summary>
    private static string BindDatafeed(string datafeedJson, string jobId)
    {
        var node = JNode.Parse(System.Text.Encoding.UTF8.GetBytes(datafeedJson));
        string? datafeedId = null;
        foreach (var p in node.Properties)
        {
            if (p.Name == "job_id" && p.Value.Kind == JKind.String && p.Value.Text != jobId)
            {
                // The stray brace is in ES's message template too.
                throw ElasticsearchException.IllegalArgument($"datafeed job_id [{p.Value.Text}] does not equal job id [{jobId}}}");
            }

            if (p.Name == "datafeed_id" && p.Value.Kind == JKind.String)
            {
                datafeedId = p.Value.Text;
            }
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("datafeed_id", datafeedId ?? jobId);
            w.WriteString("job_id", jobId);
            foreach (var p in node.Properties)
            {
                if (p.Name is "datafeed_id" or "job_id")
                {
                    continue;
                }

                w.WritePropertyName(p.Name);
                p.Value.WriteTo(w);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>ES <c>AnalysisLimits.validateAndSetDefaults</c>.</summary>
    internal static AnalysisLimits ValidateAndSetLimitDefaults(AnalysisLimits? limits, long? maxMb)
    {
        var defaultMb = DefaultModelMemoryLimitMb;
        if (maxMb is > 0 && maxMb.Value < defaultMb)
        {
            defaultMb = maxMb.Value;
        }

        var mml = limits?.ModelMemoryLimitMb ?? defaultMb;
        if (maxMb is > 0 && mml > maxMb.Value)
        {
            throw Messages.BadRequest(
                $"model_memory_limit [{ByteSizeValue.FromMb(mml)}] must be less than the value of the xpack.ml.max_model_memory_limit setting [{ByteSizeValue.FromMb(maxMb.Value)}]");
        }

        return new AnalysisLimits(mml, limits?.CategorizationExamplesLimit ?? DefaultCategorizationExamplesLimit);
    }

    private static JobBuilder Parse(ReadOnlySpan<byte> json, bool strict, bool allowInternal)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json, ignoreUnknownFields: !strict);
        var b = new JobBuilder();
        var fields = new List<XField>
        {
            new("job_id", VType.String, v => b.JobId = v.Text),
            new("groups", VType.StringArray, v => b.Groups = x.AsStringArray(v)),
            new("description", VType.StringOrNull, v => b.Description = XContent.AsStringOrNull(v)),
            new("analysis_config", VType.Object, v => b.AnalysisConfig = ConfigParsers.ParseAnalysisConfig(x, v, strict)),
            new("analysis_limits", VType.Object, v => b.AnalysisLimits = ConfigParsers.ParseAnalysisLimits(x, v, strict)),
            new("data_description", VType.Object, v => b.DataDescription = ConfigParsers.ParseDataDescription(x, v)),
            new("model_plot_config", VType.Object, v => b.ModelPlotConfig = ConfigParsers.ParseModelPlot(x, v)),
            new("renormalization_window_days", VType.Number, v => b.RenormalizationWindowDays = XContent.AsLong(v)),
            new("background_persist_interval", VType.String,
                v => b.BackgroundPersistInterval = TimeValue.Parse(v.Text, "background_persist_interval")),
            new("results_retention_days", VType.Number, v => b.ResultsRetentionDays = XContent.AsLong(v)),
            new("system_annotations_retention_days", VType.Number, v => b.SystemAnnotationsRetentionDays = XContent.AsLong(v)),
            new("model_snapshot_retention_days", VType.Number, v => b.ModelSnapshotRetentionDays = XContent.AsLong(v)),
            new("daily_model_snapshot_retention_after_days", VType.Number,
                v => b.DailyModelSnapshotRetentionAfterDays = XContent.AsLong(v)),
            new("custom_settings", VType.Object, v => b.CustomSettings = v.ToJson()),
            new("results_index_name", VType.String, v => b.ResultsIndexName = v.Text),
            new("allow_lazy_open", VType.Boolean, v => b.AllowLazyOpen = XContent.AsBool(v)),
            new("datafeed_config", VType.Object, v => b.DatafeedConfig = v.ToJson()),
        };
        if (allowInternal)
        {
            fields.Add(new("job_type", VType.String, v => b.JobType = v.Text));
            fields.Add(new("job_version", VType.String, v => b.JobVersion = v.Text));
            fields.Add(new("create_time", VType.Value, v => b.CreateTime = ParseTime(v, "create_time")));
            fields.Add(new("finished_time", VType.Value, v => b.FinishedTime = ParseTime(v, "finished_time")));
            fields.Add(new("model_snapshot_id", VType.StringOrNull, v => b.ModelSnapshotId = XContent.AsStringOrNull(v)));
            fields.Add(new("model_snapshot_min_version", VType.StringOrNull, v => b.ModelSnapshotMinVersion = XContent.AsStringOrNull(v)));
            fields.Add(new("deleting", VType.Boolean, v => b.Deleting = XContent.AsBool(v)));
            fields.Add(new("blocked", VType.Object, v => b.Blocked = ConfigParsers.ParseBlocked(x, v)));
        }

        x.ParseObject(root, "job_details", fields);
        return b;
    }

    /// <summary>ES <c>TimeUtils.parseTimeField</c>: epoch milliseconds as a number, or an ISO date string.</summary>
    private static DateTimeOffset? ParseTime(JNode value, string field)
    {
        switch (value.Kind)
        {
            case JKind.Number:
                return DateTimeOffset.FromUnixTimeMilliseconds(XContent.AsLong(value));
            case JKind.String:
                if (DateTimeOffset.TryParse(value.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                {
                    return t;
                }

                throw ElasticsearchException.IllegalArgument($"unexpected value [{value.Text}] for [{field}]");
            default:
                throw ElasticsearchException.IllegalArgument($"unexpected token [{value.TokenName}] for [{field}]");
        }
    }
}
