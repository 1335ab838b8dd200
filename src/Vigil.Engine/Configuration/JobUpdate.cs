using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>An update of one detector: new description and/or custom rules (ES <c>JobUpdate.DetectorUpdate</c>).</summary>
/// <param name="DetectorIndex">Which detector.</param>
/// <param name="Description">New description, when given.</param>
/// <param name="CustomRules">New rules (replacing the old ones), when given.</param>
public sealed record DetectorUpdate(int DetectorIndex, string? Description, IReadOnlyList<DetectionRule>? CustomRules);

/// <summary>
/// The body of <c>POST _ml/anomaly_detectors/{id}/_update</c> (ES <c>JobUpdate</c>, object name <c>job_update</c>)
/// and the rules for applying it.
/// </summary>
public sealed class JobUpdate
{
    private JobUpdate()
    {
    }

    /// <summary>New groups.</summary>
    public IReadOnlyList<string>? Groups { get; private init; }

    /// <summary>New description.</summary>
    public string? Description { get; private init; }

    /// <summary>Detector description/rule updates.</summary>
    public IReadOnlyList<DetectorUpdate>? Detectors { get; private init; }

    /// <summary>New model plot config.</summary>
    public ModelPlotConfig? ModelPlotConfig { get; private init; }

    /// <summary>New analysis limits (only while the job is closed).</summary>
    public AnalysisLimits? AnalysisLimits { get; private init; }

    /// <summary>New background persist interval.</summary>
    public TimeValue? BackgroundPersistInterval { get; private init; }

    /// <summary>New renormalization window.</summary>
    public long? RenormalizationWindowDays { get; private init; }

    /// <summary>New results retention.</summary>
    public long? ResultsRetentionDays { get; private init; }

    /// <summary>New system annotations retention.</summary>
    public long? SystemAnnotationsRetentionDays { get; private init; }

    /// <summary>New model snapshot retention.</summary>
    public long? ModelSnapshotRetentionDays { get; private init; }

    /// <summary>New daily model snapshot retention after.</summary>
    public long? DailyModelSnapshotRetentionAfterDays { get; private init; }

    /// <summary>New categorization filters.</summary>
    public IReadOnlyList<string>? CategorizationFilters { get; private init; }

    /// <summary>New per-partition categorization (enabled cannot change).</summary>
    public PerPartitionCategorization? PerPartitionCategorization { get; private init; }

    /// <summary>New custom settings (replaces the old object), compact JSON.</summary>
    public string? CustomSettings { get; private init; }

    /// <summary>New allow_lazy_open.</summary>
    public bool? AllowLazyOpen { get; private init; }

    /// <summary>New model prune window.</summary>
    public TimeValue? ModelPruneWindow { get; private init; }

    /// <summary>Parses an update body strictly, with ES's <c>[job_update]</c> messages.</summary>
    /// <exception cref="ElasticsearchException">400 <c>x_content_parse_exception</c> etc.</exception>
    public static JobUpdate Parse(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        List<string>? groups = null;
        string? description = null;
        List<DetectorUpdate>? detectors = null;
        ModelPlotConfig? plot = null;
        AnalysisLimits? limits = null;
        TimeValue? bpi = null;
        long? renormalization = null, results = null, annotations = null, snapshots = null, daily = null;
        List<string>? filters = null;
        PerPartitionCategorization? perPartition = null;
        string? customSettings = null;
        bool? lazy = null;
        TimeValue? pruneWindow = null;
        // Implementation note: job_update is a ConstructingObjectParser whose only (optional) constructor argument
        // is job_id (read, then replaced by the URL id). Until job_id arrives, or the object ends, field consumers
        // are queued; the duration fields are the ones whose consumers can fail.
        var built = false;
        var queued = new List<(string Name, JNode Value, Action<JNode> Apply)>();
        void Defer(string name, JNode value, Action<JNode> apply)
        {
            if (built)
            {
                apply(value);
            }
            else
            {
                queued.Add((name, value, apply));
            }
        }

        x.ParseObject(root, "job_update",
        [
            new("job_id", VType.String, _ =>
            {
                built = true;
                x.RunQueued("job_update", queued);
            }),
            new("groups", VType.StringArray, v => groups = x.AsStringArray(v)),
            new("description", VType.StringOrNull, v => description = XContent.AsStringOrNull(v)),
            new("detectors", VType.ObjectArray, v => detectors = x.ParseObjectArray(v, d => ParseDetectorUpdate(x, d))),
            new("model_plot_config", VType.Object, v => plot = ConfigParsers.ParseModelPlot(x, v)),
            new("analysis_limits", VType.Object, v => limits = ConfigParsers.ParseAnalysisLimits(x, v, strict: true)),
            new("background_persist_interval", VType.String,
                v => Defer("background_persist_interval", v, n => bpi = TimeValue.Parse(n.Text, "background_persist_interval"))),
            new("renormalization_window_days", VType.Number, v => renormalization = XContent.AsLong(v)),
            new("results_retention_days", VType.Number, v => results = XContent.AsLong(v)),
            new("system_annotations_retention_days", VType.Number, v => annotations = XContent.AsLong(v)),
            new("model_snapshot_retention_days", VType.Number, v => snapshots = XContent.AsLong(v)),
            new("daily_model_snapshot_retention_after_days", VType.Number, v => daily = XContent.AsLong(v)),
            new("categorization_filters", VType.StringArray, v => filters = x.AsStringArray(v)),
            new("per_partition_categorization", VType.Object, v => perPartition = ConfigParsers.ParsePerPartition(x, v)),
            // ES reads the update's custom_settings with map(), i.e. into HashMaps.
            new("custom_settings", VType.Object, v => customSettings = JavaMapOrder.ToHashMapJson(v)),
            new("allow_lazy_open", VType.Boolean, v => lazy = XContent.AsBool(v)),
            new("model_prune_window", VType.String,
                v => Defer("model_prune_window", v, n => pruneWindow = TimeValue.Parse(n.Text, "model_prune_window"))),
        ]);
        x.RunQueued("job_update", queued);
        return new JobUpdate
        {
            Groups = groups,
            Description = description,
            Detectors = detectors,
            ModelPlotConfig = plot,
            AnalysisLimits = limits,
            BackgroundPersistInterval = bpi,
            RenormalizationWindowDays = renormalization,
            ResultsRetentionDays = results,
            SystemAnnotationsRetentionDays = annotations,
            ModelSnapshotRetentionDays = snapshots,
            DailyModelSnapshotRetentionAfterDays = daily,
            CategorizationFilters = filters,
            PerPartitionCategorization = perPartition,
            CustomSettings = customSettings,
            AllowLazyOpen = lazy,
            ModelPruneWindow = pruneWindow,
        };
    }

    /// <summary>The update API refuses <c>_all</c> as target (checked before the job is looked up).</summary>
    /// <exception cref="ElasticsearchException">400 <c>illegal_argument_exception</c>.</exception>
    public static void CheckTargetJobId(string jobId)
    {
        if (jobId == "_all")
        {
            throw ElasticsearchException.IllegalArgument("Job Id _all cannot be for update");
        }
    }

    /// <summary>Applies the update with ES's rules (§2.2).</summary>
    /// <param name="job">The current job.</param>
    /// <param name="jobIsOpen">Whether the job's task state is <c>opened</c> (model_memory_limit cannot change then).</param>
    /// <param name="allJobs">All jobs, for the group/job name clash check.</param>
    /// <exception cref="ElasticsearchException">With ES's type, status and reason.</exception>
    public JobConfig ApplyTo(JobConfig job, bool jobIsOpen, IReadOnlyCollection<JobConfig> allJobs) =>
        ApplyTo(job, jobIsOpen, allJobs, currentModelBytes: null, maxModelMemoryLimitMb: null);

    /// <summary>As <see cref="ApplyTo(JobConfig, bool, IReadOnlyCollection{JobConfig})"/>; also refuses lowering the
    /// model memory limit below the whole MiB of <paramref name="currentModelBytes"/> (the latest model_bytes) and
    /// raising it above <paramref name="maxModelMemoryLimitMb"/> (<c>xpack.ml.max_model_memory_limit</c>).</summary>
    public JobConfig ApplyTo(
        JobConfig job, bool jobIsOpen, IReadOnlyCollection<JobConfig> allJobs, long? currentModelBytes, long? maxModelMemoryLimitMb)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(allJobs);
        if (Groups is { Count: > 0 })
        {
            foreach (var group in Groups)
            {
                foreach (var other in allJobs)
                {
                    if (other.JobId == group)
                    {
                        throw ElasticsearchException.ResourceAlreadyExists(Messages.JobAndGroupNamesMustBeUnique(group));
                    }
                }
            }
        }

        // Implementation note: JobManager.validateAnalysisLimitsUpdate only looks at updates that carry a
        // model_memory_limit; "open" means the task state is opened; usage is compared in whole MiB.
        if (AnalysisLimits?.ModelMemoryLimitMb is { } newMb)
        {
            if (jobIsOpen)
            {
                throw Messages.BadRequest("Cannot update analysis_limits while the job is open");
            }

            if (currentModelBytes is { } used && newMb < used / ByteSizeValue.BytesPerMb)
            {
                throw Messages.BadRequest(
                    $"Invalid update value for analysis_limits: model_memory_limit cannot be decreased below current usage; current usage [{ByteSizeValue.FromMb(used / ByteSizeValue.BytesPerMb)}], update had [{ByteSizeValue.FromMb(newMb)}]");
            }
        }

        var b = new JobBuilder(job);
        var ac = new AnalysisConfigBuilder(job.AnalysisConfig);
        if (Groups is not null)
        {
            b.Groups = [.. Groups];
        }

        if (Description is not null)
        {
            b.Description = Description;
        }

        if (Detectors is { Count: > 0 })
        {
            var count = job.AnalysisConfig.Detectors.Count;
            foreach (var du in Detectors)
            {
                if (du.DetectorIndex >= count)
                {
                    throw Messages.BadRequest($"Supplied detector_index [{du.DetectorIndex}] is >= the number of detectors [{count}]");
                }

                if (du.DetectorIndex < 0)
                {
                    throw Messages.BadRequest($"Supplied detector_index [{du.DetectorIndex}] must be non-negative");
                }

                var current = ac.Detectors![du.DetectorIndex];
                var rules = du.CustomRules ?? current.CustomRules;
                ConfigParsers.ValidateDetector(current.Function, current.FieldName, current.ByFieldName, current.OverFieldName,
                    current.PartitionFieldName, rules);
                ac.Detectors[du.DetectorIndex] = current with
                {
                    DetectorDescription = du.Description ?? current.DetectorDescription,
                    CustomRules = rules,
                };
            }
        }

        if (ModelPlotConfig is not null)
        {
            b.ModelPlotConfig = ModelPlotConfig;
        }

        if (AnalysisLimits is not null)
        {
            // Implementation note: like ES (AnalysisLimits.validateAndSetDefaults) the update's limits replace the old
            // ones; a field left out takes its default, not the job's current value.
            b.AnalysisLimits = JobConfigParser.ValidateAndSetLimitDefaults(AnalysisLimits, maxModelMemoryLimitMb);
        }

        b.RenormalizationWindowDays = RenormalizationWindowDays ?? b.RenormalizationWindowDays;
        b.BackgroundPersistInterval = BackgroundPersistInterval ?? b.BackgroundPersistInterval;
        b.ModelSnapshotRetentionDays = ModelSnapshotRetentionDays ?? b.ModelSnapshotRetentionDays;
        b.DailyModelSnapshotRetentionAfterDays = DailyModelSnapshotRetentionAfterDays ?? b.DailyModelSnapshotRetentionAfterDays;
        b.ResultsRetentionDays = ResultsRetentionDays ?? b.ResultsRetentionDays;
        b.SystemAnnotationsRetentionDays = SystemAnnotationsRetentionDays ?? b.SystemAnnotationsRetentionDays;
        if (CategorizationFilters is not null)
        {
            ac.CategorizationFilters = [.. CategorizationFilters];
        }

        if (PerPartitionCategorization is not null)
        {
            // Implementation note: ES lets only the lower-level details change, never enabled itself.
            if (PerPartitionCategorization.Enabled != job.AnalysisConfig.PerPartitionCategorization.Enabled)
            {
                throw Messages.BadRequest("analysis_config.per_partition_categorization.enabled cannot be updated");
            }

            ac.PerPartition = PerPartitionCategorization;
        }

        if (ModelPruneWindow is not null)
        {
            ac.ModelPruneWindow = ModelPruneWindow;
        }

        if (CustomSettings is not null)
        {
            b.CustomSettings = CustomSettings;
        }

        if (AllowLazyOpen is { } lazy)
        {
            b.AllowLazyOpen = lazy;
        }

        b.AnalysisConfig = ac.Build(strict: true);
        b.ValidateInputFields();
        return b.Build(applyDefaults: false);
    }

    private static DetectorUpdate ParseDetectorUpdate(XContent x, JNode node)
    {
        int? index = null;
        string? description = null;
        List<DetectionRule>? rules = null;
        x.ParseObject(node, "detector_update",
        [
            new("detector_index", VType.Number, v => index = XContent.AsInt(v)),
            new("description", VType.String, v => description = v.Text),
            new("custom_rules", VType.ObjectArray, v => rules = x.ParseObjectArray(v, r => ConfigParsers.ParseRule(x, r, strict: true))),
        ]);
        if (index is null)
        {
            throw ElasticsearchException.IllegalArgument("Required [detector_index]");
        }

        return new DetectorUpdate(index.Value, description, rules);
    }
}
