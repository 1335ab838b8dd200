using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class JobUpdateTests
{
    private static JobConfig UpdateJob() => Create(Q("{'description':'Pre update description','analysis_config':{'detectors':[{'function':'mean','field_name':'responsetime','by_field_name':'airline'},"
        + "{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'some_category','categorization_filters':['cat1.*','cat2.*'],'model_prune_window':'30d'},"
        + "'data_description':{},'model_plot_config':{'enabled':true,'terms':'foo,bar'},'analysis_limits':{'model_memory_limit':'10mb'},"
        + "'renormalization_window_days':1,'background_persist_interval':'2h','model_snapshot_retention_days':3,'daily_model_snapshot_retention_after_days':2,"
        + "'results_retention_days':4,'system_annotations_retention_days':5,'custom_settings':{'setting1':'custom1','setting2':'custom2'}}"), "jobs-crud-update-job");

    private static JobUpdate Parse(string json) => JobUpdate.Parse(Utf8(Q(json)));

    [Fact]
    public void Update_applies_the_jobs_crud_changes()
    {
        var job = UpdateJob();
        var update = Parse("{'groups':['group-1','group-2'],'description':'Post update description','detectors':[{'detector_index':0,'custom_rules':[{'conditions':[{'applies_to':'actual','operator':'gt','value':10}]}]},"
            + "{'detector_index':1,'description':'updated description'}],'model_prune_window':'60d','model_plot_config':{'enabled':false,'terms':'foobar'},"
            + "'renormalization_window_days':10,'background_persist_interval':'3h','model_snapshot_retention_days':30,'results_retention_days':40,"
            + "'system_annotations_retention_days':50,'custom_settings':{'setting3':'custom3'}}");

        var updated = update.ApplyTo(job, jobIsOpen: true, [job]);

        Assert.Equal(["group-1", "group-2"], updated.Groups);
        Assert.Equal("Post update description", updated.Description);
        Assert.Equal(new ModelPlotConfig(false, "foobar", false), updated.ModelPlotConfig);
        Assert.Equal(["skip_result"], updated.AnalysisConfig.Detectors[0].CustomRules[0].Actions);
        Assert.Single(updated.AnalysisConfig.Detectors[0].CustomRules[0].Conditions);
        Assert.Equal(0, updated.AnalysisConfig.Detectors[0].DetectorIndex);
        Assert.Equal("updated description", updated.AnalysisConfig.Detectors[1].DetectorDescription);
        Assert.Equal(1, updated.AnalysisConfig.Detectors[1].DetectorIndex);
        Assert.Equal(10, updated.RenormalizationWindowDays);
        Assert.Equal("3h", updated.BackgroundPersistInterval!.Value.ToStringRep());
        Assert.Equal(30, updated.ModelSnapshotRetentionDays);
        Assert.Equal(2, updated.DailyModelSnapshotRetentionAfterDays);
        Assert.Equal(40, updated.ResultsRetentionDays);
        Assert.Equal(50, updated.SystemAnnotationsRetentionDays);
        Assert.Equal("5m", updated.AnalysisConfig.BucketSpan.ToStringRep());
        Assert.Equal("60d", updated.AnalysisConfig.ModelPruneWindow!.Value.ToStringRep());
        Assert.Equal(Q("{'setting3':'custom3'}"), updated.CustomSettings);
        Assert.Equal(job.CreateTime, updated.CreateTime);
    }

    [Fact]
    public void Update_of_analysis_limits_is_refused_while_open_and_allowed_when_closed()
    {
        var job = UpdateJob();
        var update = Parse("{'analysis_limits':{'model_memory_limit':'20mb'}}");
        var e = Assert.Throws<ElasticsearchException>(() => update.ApplyTo(job, jobIsOpen: true, [job]));
        Assert.Equal("status_exception", e.Type);
        Assert.Equal("Cannot update analysis_limits while the job is open", e.Reason);

        var closed = update.ApplyTo(job, jobIsOpen: false, [job]);
        Assert.Equal(20, closed.ModelMemoryLimitMb);
        Assert.Equal(4, closed.AnalysisLimits!.CategorizationExamplesLimit);
        var lower = Parse("{'analysis_limits':{'model_memory_limit':'15mb'}}").ApplyTo(closed, false, [closed]);
        Assert.Equal(15, lower.ModelMemoryLimitMb);
    }

    [Fact]
    public void Update_cannot_lower_limit_below_current_usage()
    {
        var job = UpdateJob();
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'analysis_limits':{'model_memory_limit':'1mb'}}")
            .ApplyTo(job, false, [job], currentModelBytes: (2 * 1024 * 1024) + 5000, maxModelMemoryLimitMb: null));
        Assert.Equal("Invalid update value for analysis_limits: model_memory_limit cannot be decreased below current usage; current usage [2mb], update had [1mb]", e.Reason);

        // Only the model memory limit is checked against the open state.
        var examplesOnly = Parse("{'analysis_limits':{'categorization_examples_limit':2}}").ApplyTo(job, jobIsOpen: true, [job]);
        Assert.Equal(2, examplesOnly.AnalysisLimits!.CategorizationExamplesLimit);
        Assert.Equal(1024, examplesOnly.ModelMemoryLimitMb);
    }

    [Theory]
    [InlineData("5m", "model_prune_window [5m] must be at least 2 times greater than bucket_span [5m]")]
    [InlineData("2m", "model_prune_window [2m] must be a multiple of bucket_span [5m]")]
    public void Update_checks_model_prune_window(string window, string reason)
    {
        var job = UpdateJob();
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'model_prune_window':'" + window + "'}").ApplyTo(job, false, [job]));
        Assert.Equal("status_exception", e.Type);
        Assert.Equal(reason, e.Reason);
        Assert.Equal("12h", Parse("{'model_prune_window':'12h'}").ApplyTo(job, false, [job]).AnalysisConfig.ModelPruneWindow!.Value.ToStringRep());
    }

    [Fact]
    public void Update_with_unparsable_duration_fails_to_parse_field()
    {
        // job_update is a ConstructingObjectParser: the consumer runs when the object is built.
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'model_prune_window':'8w'}"));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal("[1:23] failed to build [job_update] after last required field arrived", e.Reason);
        Assert.Equal("[1:23] [job_update] failed to parse field [model_prune_window]", e.Cause!.Reason);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);

        var withId = Assert.Throws<ElasticsearchException>(() => Parse("{'model_prune_window':'8w','job_id':'x'}"));
        Assert.Equal("[1:37] [job_update] failed to parse field [job_id]", withId.Reason);
        Assert.Equal("[1:23] failed to build [job_update] after last required field arrived", withId.Cause!.Reason);
    }

    [Fact]
    public void Update_rechecks_retention_against_stored_values()
    {
        var job = Parse("{'model_snapshot_retention_days':30}").ApplyTo(UpdateJob(), false, []);
        var daily = Assert.Throws<ElasticsearchException>(() => Parse("{'daily_model_snapshot_retention_after_days':31}").ApplyTo(job, false, [job]));
        Assert.Equal("The value of daily_model_snapshot_retention_after_days [31] cannot be greater than model_snapshot_retention_days [30]", daily.Reason);
        var retention = Assert.Throws<ElasticsearchException>(() => Parse("{'model_snapshot_retention_days':1}").ApplyTo(job, false, [job]));
        Assert.Equal("The value of daily_model_snapshot_retention_after_days [2] cannot be greater than model_snapshot_retention_days [1]", retention.Reason);
    }

    [Fact]
    public void Update_refuses_all_and_group_clashing_with_job_id()
    {
        var e = Assert.Throws<ElasticsearchException>(() => JobUpdate.CheckTargetJobId("_all"));
        Assert.Equal(400, e.Status);

        var job = UpdateJob();
        var other = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"), "job-crud-update-group-name-clash");
        var clash = Assert.Throws<ElasticsearchException>(() => Parse("{'groups':['job-crud-update-group-name-clash']}").ApplyTo(job, false, [job, other]));
        Assert.Equal("resource_already_exists_exception", clash.Type);
        Assert.Equal("job and group names must be unique but job [job-crud-update-group-name-clash] and group [job-crud-update-group-name-clash] have the same name", clash.Reason);
    }

    [Fact]
    public void Update_rejects_unknown_fields_and_bad_detector_index()
    {
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'model_snapshot_id':'x'}"));
        Assert.Equal("[1:2] [job_update] unknown field [model_snapshot_id] did you mean [model_snapshot_retention_days]?", e.Reason);
        Parse("{'job_id':'ignored-like-es'}");

        var missing = Assert.Throws<ElasticsearchException>(() => Parse("{'detectors':[{'description':'x'}]}"));
        // Reported at the closing brace of the detector update, where the required field was found missing.
        Assert.Equal("[1:33] [job_update] failed to parse field [detectors]", missing.Reason);
        Assert.Equal("Required [detector_index]", missing.RootCause.Reason);

        var job = UpdateJob();
        var index = Assert.Throws<ElasticsearchException>(() => Parse("{'detectors':[{'detector_index':2,'description':'x'}]}").ApplyTo(job, false, [job]));
        Assert.Equal("Supplied detector_index [2] is >= the number of detectors [2]", index.Reason);
    }

    [Fact]
    public void Update_detector_rules_are_validated_against_the_detector()
    {
        var job = UpdateJob();
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'detectors':[{'detector_index':0,'custom_rules':[{'scope':{'nope':{'filter_id':'f'}}}]}]}").ApplyTo(job, false, [job]));
        Assert.Equal("Invalid detector rule: scope field 'nope' is invalid; select from [airline]", e.Reason);
    }

    [Fact]
    public void Update_per_partition_enabled_cannot_change()
    {
        var job = UpdateJob();
        var e = Assert.Throws<ElasticsearchException>(() => Parse("{'per_partition_categorization':{'enabled':true}}").ApplyTo(job, false, [job]));
        Assert.Equal("analysis_config.per_partition_categorization.enabled cannot be updated", e.Reason);
    }
}
