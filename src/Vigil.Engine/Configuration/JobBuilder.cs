using System.Text.RegularExpressions;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Mutable job used while parsing and updating (ES <c>Job.Builder</c>).</summary>
internal sealed partial class JobBuilder
{
    public JobBuilder()
    {
    }

    public JobBuilder(JobConfig job)
    {
        JobId = job.JobId;
        JobType = job.JobType;
        JobVersion = job.JobVersion;
        CreateTime = job.CreateTime;
        FinishedTime = job.FinishedTime;
        ModelSnapshotId = job.ModelSnapshotId;
        ModelSnapshotMinVersion = job.ModelSnapshotMinVersion;
        CustomSettings = job.CustomSettings;
        DatafeedConfig = job.DatafeedConfig;
        Groups = [.. job.Groups];
        Description = job.Description;
        AnalysisConfig = job.AnalysisConfig;
        AnalysisLimits = job.AnalysisLimits;
        DataDescription = job.DataDescription;
        ModelPlotConfig = job.ModelPlotConfig;
        RenormalizationWindowDays = job.RenormalizationWindowDays;
        BackgroundPersistInterval = job.BackgroundPersistInterval;
        ModelSnapshotRetentionDays = job.ModelSnapshotRetentionDays;
        DailyModelSnapshotRetentionAfterDays = job.DailyModelSnapshotRetentionAfterDays;
        ResultsRetentionDays = job.ResultsRetentionDays;
        SystemAnnotationsRetentionDays = job.SystemAnnotationsRetentionDays;
        ResultsIndexName = job.ResultsIndexName;
        AllowLazyOpen = job.AllowLazyOpen;
        Deleting = job.Deleting;
        Blocked = job.Blocked;
    }

    public string? JobId { get; set; }

    public string JobType { get; set; } = JobConfig.AnomalyDetectorJobType;

    public string? JobVersion { get; set; }

    public DateTimeOffset? CreateTime { get; set; }

    public DateTimeOffset? FinishedTime { get; set; }

    public string? ModelSnapshotId { get; set; }

    public string? ModelSnapshotMinVersion { get; set; }

    public string? CustomSettings { get; set; }

    public string? DatafeedConfig { get; set; }

    public List<string> Groups { get; set; } = [];

    public string? Description { get; set; }

    public AnalysisConfig? AnalysisConfig { get; set; }

    public AnalysisLimits? AnalysisLimits { get; set; }

    public DataDescription? DataDescription { get; set; }

    public ModelPlotConfig? ModelPlotConfig { get; set; }

    public long? RenormalizationWindowDays { get; set; }

    public TimeValue? BackgroundPersistInterval { get; set; }

    public long? ModelSnapshotRetentionDays { get; set; }

    public long? DailyModelSnapshotRetentionAfterDays { get; set; }

    public long? ResultsRetentionDays { get; set; }

    public long? SystemAnnotationsRetentionDays { get; set; }

    public string? ResultsIndexName { get; set; }

    public bool AllowLazyOpen { get; set; }

    public bool Deleting { get; set; }

    public Blocked? Blocked { get; set; }

    /// <summary>ES <c>MlStrings.isValidId</c> (the id pattern; <c>_all</c> never matches it).</summary>
    public static bool IsValidId(string? id) => id is not null && ValidId().IsMatch(id);

    /// <summary>ES <c>Job.Builder.validateInputFields</c>, in ES's order.</summary>
    public void ValidateInputFields()
    {
        if (AnalysisConfig is null)
        {
            throw ElasticsearchException.IllegalArgument("An analysis_config must be set");
        }

        if (DataDescription is null)
        {
            throw ElasticsearchException.IllegalArgument("A data_description must be set");
        }

        CheckTimeFieldNotInAnalysisConfig();
        CheckBackgroundPersistInterval();
        CheckNotNegative("renormalization_window_days", RenormalizationWindowDays);
        CheckNotNegative("results_retention_days", ResultsRetentionDays);
        CheckNotNegative("system_annotations_retention_days", SystemAnnotationsRetentionDays);
        if (!IsValidId(JobId))
        {
            throw ElasticsearchException.IllegalArgument(Messages.InvalidId("job_id", JobId ?? "null"));
        }

        if (JobId!.Length > 64)
        {
            throw ElasticsearchException.IllegalArgument(Messages.JobIdTooLong);
        }

        ValidateRetention();
        ValidateGroups();
        if (!string.IsNullOrEmpty(ResultsIndexName) && !IsValidId(ResultsIndexName))
        {
            throw ElasticsearchException.IllegalArgument(Messages.InvalidId("results_index_name", ResultsIndexName));
        }
    }

    /// <summary>ES <c>checkValidBackgroundPersistInterval</c>: whole seconds, at least one hour.</summary>
    public void CheckBackgroundPersistInterval()
    {
        if (BackgroundPersistInterval is { } bpi)
        {
            if (bpi.TotalNanoseconds % 1_000_000_000L != 0)
            {
                throw ElasticsearchException.IllegalArgument($"background_persist_interval has to be a multiple of 1s; actual was '{bpi}'");
            }

            if (bpi.TotalSeconds < 3600)
            {
                throw ElasticsearchException.IllegalArgument(Messages.FieldValueTooLow("background_persist_interval", 3600, bpi.TotalSeconds));
            }
        }
    }

    /// <summary>ES <c>validateModelSnapshotRetentionSettings</c>.</summary>
    public void ValidateRetention()
    {
        var retention = ModelSnapshotRetentionDays ?? JobConfigParser.DefaultModelSnapshotRetentionDays;
        CheckNotNegative("model_snapshot_retention_days", retention);
        CheckNotNegative("daily_model_snapshot_retention_after_days", DailyModelSnapshotRetentionAfterDays);
        if (DailyModelSnapshotRetentionAfterDays is { } daily && daily > retention)
        {
            throw ElasticsearchException.IllegalArgument(
                $"The value of daily_model_snapshot_retention_after_days [{Messages.Num(daily)}] cannot be greater than model_snapshot_retention_days [{Messages.Num(retention)}]");
        }
    }

    /// <summary>ES <c>Job.Builder.validateGroups</c>.</summary>
    public void ValidateGroups()
    {
        foreach (var group in Groups)
        {
            if (!IsValidId(group))
            {
                throw ElasticsearchException.IllegalArgument(Messages.InvalidGroup(group));
            }

            if (group == JobId)
            {
                throw ElasticsearchException.ResourceAlreadyExists(Messages.JobAndGroupNamesMustBeUnique(group));
            }
        }
    }

    /// <summary>ES <c>Job.Builder.validateDetectorsAreUnique</c>: equal ignoring the detector index.</summary>
    public void ValidateDetectorsAreUnique()
    {
        if (AnalysisConfig is null)
        {
            return;
        }

        var detectors = AnalysisConfig.Detectors;
        for (var i = 0; i < detectors.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (detectors[i].SameConfigAs(detectors[j]))
                {
                    throw ElasticsearchException.IllegalArgument(
                        $"Duplicate detectors are not allowed: [{detectors[i].DetectorDescription}]");
                }
            }
        }
    }

    /// <summary>The immutable job; with <paramref name="applyDefaults"/> the build-time defaults of ES are set.</summary>
    public JobConfig Build(bool applyDefaults)
    {
        var retention = ModelSnapshotRetentionDays;
        var daily = DailyModelSnapshotRetentionAfterDays;
        if (applyDefaults)
        {
            retention ??= JobConfigParser.DefaultModelSnapshotRetentionDays;
            if (daily is null && retention > JobConfigParser.DefaultDailyModelSnapshotRetentionAfterDays)
            {
                daily = JobConfigParser.DefaultDailyModelSnapshotRetentionAfterDays;
            }
        }

        return new JobConfig
        {
            JobId = JobId!,
            JobType = JobType,
            JobVersion = JobVersion,
            CreateTime = CreateTime ?? DateTimeOffset.UnixEpoch,
            FinishedTime = FinishedTime,
            ModelSnapshotId = ModelSnapshotId,
            ModelSnapshotMinVersion = ModelSnapshotMinVersion,
            CustomSettings = CustomSettings,
            DatafeedConfig = DatafeedConfig,
            Groups = Groups,
            Description = Description,
            AnalysisConfig = AnalysisConfig!,
            AnalysisLimits = AnalysisLimits,
            DataDescription = DataDescription ?? new DataDescription(),
            ModelPlotConfig = ModelPlotConfig,
            RenormalizationWindowDays = RenormalizationWindowDays,
            BackgroundPersistInterval = BackgroundPersistInterval,
            ModelSnapshotRetentionDays = retention,
            DailyModelSnapshotRetentionAfterDays = daily,
            ResultsRetentionDays = ResultsRetentionDays,
            SystemAnnotationsRetentionDays = SystemAnnotationsRetentionDays,
            ResultsIndexName = string.IsNullOrEmpty(ResultsIndexName) ? "shared" : ResultsIndexName,
            AllowLazyOpen = AllowLazyOpen,
            Deleting = Deleting || Blocked?.Reason == "delete",
            Blocked = Blocked is { Reason: "none" } ? null : Blocked,
        };
    }

    private static void CheckNotNegative(string field, long? value)
    {
        if (value is < 0)
        {
            throw ElasticsearchException.IllegalArgument(Messages.FieldValueTooLow(field, 0, value.Value));
        }
    }

    private void CheckTimeFieldNotInAnalysisConfig()
    {
        var probe = new JobConfig { JobId = JobId!, AnalysisConfig = AnalysisConfig!, DataDescription = DataDescription! };
        if (probe.AnalysisFields().Contains(DataDescription!.TimeField))
        {
            throw ElasticsearchException.IllegalArgument("data_description.time_field may not be used in the analysis_config");
        }
    }

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9_\-\.]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}
