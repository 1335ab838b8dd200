using Vigil.Engine.Input;

namespace Vigil.Engine.Configuration;

/// <summary>
/// An anomaly detection job configuration exactly as Elasticsearch holds it (ES <c>Job</c>): every configured and
/// generated field, validated, with defaults filled in. Immutable; copy with <c>with</c> or the helpers.
/// </summary>
public sealed record JobConfig
{
    /// <summary>The only job type, <c>anomaly_detector</c>.</summary>
    public const string AnomalyDetectorJobType = "anomaly_detector";

    /// <summary>The job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Always <c>anomaly_detector</c>.</summary>
    public string JobType { get; init; } = AnomalyDetectorJobType;

    /// <summary>Version of the server that created the job.</summary>
    public string? JobVersion { get; init; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreateTime { get; init; }

    /// <summary>Set when the job is closed; cleared when it is opened.</summary>
    public DateTimeOffset? FinishedTime { get; init; }

    /// <summary>The active model snapshot.</summary>
    public string? ModelSnapshotId { get; init; }

    /// <summary>Minimum version able to load the active model snapshot.</summary>
    public string? ModelSnapshotMinVersion { get; init; }

    /// <summary>Free-form <c>custom_settings</c> object as compact JSON, echoed.</summary>
    public string? CustomSettings { get; init; }

    /// <summary>Embedded <c>datafeed_config</c> as compact JSON, echoed (not validated here).</summary>
    public string? DatafeedConfig { get; init; }

    /// <summary>Groups the job belongs to (omitted from output when empty).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Description, when set.</summary>
    public string? Description { get; init; }

    /// <summary>The analysis config.</summary>
    public required AnalysisConfig AnalysisConfig { get; init; }

    /// <summary>Analysis limits (defaults: 1024 MiB, 4 examples).</summary>
    public AnalysisLimits? AnalysisLimits { get; init; }

    /// <summary>The data description.</summary>
    public DataDescription DataDescription { get; init; } = new();

    /// <summary>Model plot config, when set.</summary>
    public ModelPlotConfig? ModelPlotConfig { get; init; }

    /// <summary>Renormalization window in days, when set.</summary>
    public long? RenormalizationWindowDays { get; init; }

    /// <summary>Background persist interval, when set.</summary>
    public TimeValue? BackgroundPersistInterval { get; init; }

    /// <summary>Model snapshot retention in days (default 10).</summary>
    public long? ModelSnapshotRetentionDays { get; init; }

    /// <summary>Days after which only one snapshot a day is kept (default 1 when retention is above 1).</summary>
    public long? DailyModelSnapshotRetentionAfterDays { get; init; }

    /// <summary>Results retention in days, when set.</summary>
    public long? ResultsRetentionDays { get; init; }

    /// <summary>System annotations retention in days, when set.</summary>
    public long? SystemAnnotationsRetentionDays { get; init; }

    /// <summary><c>shared</c> or <c>custom-&lt;name&gt;</c>.</summary>
    public string ResultsIndexName { get; init; } = "shared";

    /// <summary>Whether open may wait for a node with room.</summary>
    public bool AllowLazyOpen { get; init; }

    /// <summary>Whether the job is being deleted.</summary>
    public bool Deleting { get; init; }

    /// <summary>Block reason, when a delete/reset/revert is in progress.</summary>
    public Blocked? Blocked { get; init; }

    /// <summary>Model memory limit in MiB with the default applied.</summary>
    public long ModelMemoryLimitMb => AnalysisLimits?.ModelMemoryLimitMb ?? JobConfigParser.DefaultModelMemoryLimitMb;

    /// <summary>
    /// The fields <c>missing_field_count</c> counts: by/over/partition fields, detector field names, influencers,
    /// categorization and summary count fields (no duplicates, no <c>mlcategory</c>), then the time field.
    /// </summary>
    /// <remarks>Implementation note: mirrors ES <c>AbstractDataToProcessWriter</c>, whose input-field set is the
    /// analysis fields plus the time field.</remarks>
    public IReadOnlyList<string> RequiredInputFields
    {
        get
        {
            var fields = new List<string>(AnalysisFields());
            if (!fields.Contains(DataDescription.TimeField))
            {
                fields.Add(DataDescription.TimeField);
            }

            return fields;
        }
    }

    /// <summary>The ingest schema for this job's input readers.</summary>
    public IngestSchema ToIngestSchema() => new(
        DataDescription.TimeField,
        DataDescription.TimeFormat,
        AnalysisFields(),
        AnalysisConfig.BucketSpan.TotalMilliseconds,
        AnalysisConfig.Latency?.TotalMilliseconds ?? 0);

    /// <summary>
    /// Filter ids referenced by the scopes of detector custom rules, without duplicates, in detector order. The server
    /// checks these exist (ES: <c>No filter with id [x] exists</c>) and refuses deleting a filter still in use.
    /// </summary>
    public IReadOnlyList<string> ReferencedFilterIds()
    {
        var result = new List<string>();
        foreach (var d in AnalysisConfig.Detectors)
        {
            foreach (var rule in d.CustomRules)
            {
                foreach (var scope in rule.Scope)
                {
                    if (!result.Contains(scope.FilterId))
                    {
                        result.Add(scope.FilterId);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>A copy with <see cref="FinishedTime"/> set (or cleared with null).</summary>
    public JobConfig WithFinishedTime(DateTimeOffset? finishedTime) => this with { FinishedTime = finishedTime };

    /// <summary>A copy with another active model snapshot.</summary>
    public JobConfig WithModelSnapshot(string? modelSnapshotId, string? minVersion) =>
        this with { ModelSnapshotId = modelSnapshotId, ModelSnapshotMinVersion = minVersion };

    /// <summary>A copy with the block reason set (null clears it); <c>delete</c> also sets <see cref="Deleting"/>.</summary>
    public JobConfig WithBlocked(Blocked? blocked) =>
        this with { Blocked = blocked, Deleting = blocked?.Reason == "delete" };

    /// <summary>
    /// The analysis input fields without duplicates in a fixed order: by/over/partition of each detector, detector
    /// field names, influencers, categorization field, summary count field; <c>mlcategory</c> is left out.
    /// </summary>
    internal List<string> AnalysisFields()
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        void Add(string? field)
        {
            if (!string.IsNullOrEmpty(field) && field != AnalysisConfig.MlCategoryField && seen.Add(field))
            {
                result.Add(field);
            }
        }

        foreach (var d in AnalysisConfig.Detectors)
        {
            Add(d.ByFieldName);
            Add(d.OverFieldName);
            Add(d.PartitionFieldName);
        }

        foreach (var d in AnalysisConfig.Detectors)
        {
            Add(d.FieldName);
        }

        foreach (var influencer in AnalysisConfig.Influencers)
        {
            Add(influencer);
        }

        Add(AnalysisConfig.CategorizationFieldName);
        Add(AnalysisConfig.SummaryCountFieldName);
        return result;
    }
}
