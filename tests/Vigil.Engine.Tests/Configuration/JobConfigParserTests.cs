using Vigil.Engine.Configuration;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class JobConfigParserTests
{
    private const string Minimal = "{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}";

    [Fact]
    public void ParseForCreate_minimal_job_gets_ES_defaults_in_ES_order()
    {
        var job = Create(Q(Minimal));

        var expected = Q("{'job_id':'test-job','job_type':'anomaly_detector','job_version':'8.15.0','create_time':1700000000000,"
            + "'analysis_config':{'bucket_span':'5m','detectors':[{'detector_description':'count','function':'count','detector_index':0}],"
            + "'influencers':[]},'analysis_limits':{'model_memory_limit':'1024mb','categorization_examples_limit':4},"
            + "'data_description':{'time_field':'time','time_format':'epoch_ms'},'model_snapshot_retention_days':10,"
            + "'daily_model_snapshot_retention_after_days':1,'results_index_name':'shared','allow_lazy_open':false}");
        Assert.Equal(expected, Write(job));
    }

    [Fact]
    public void ParseForCreate_takes_id_from_body_when_equal_to_url()
    {
        var job = Create(Q("{'job_id':'test-job','analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("test-job", job.JobId);
    }

    [Fact]
    public void ParseForCreate_rejects_body_id_different_from_url()
    {
        var e = CreateFails(Q("{'job_id':'a_different_id','analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"), "an_id");
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal(400, e.Status);
        Assert.Equal("Inconsistent job_id; 'a_different_id' specified in the body differs from 'an_id' specified as a URL argument", e.Reason);
    }

    [Fact]
    public void ParseForCreate_echoes_durations_in_given_unit_and_memory_in_mb()
    {
        var job = Create(Q("{'analysis_config':{'bucket_span':'3600s','detectors':[{'function':'count'}],'model_prune_window':'14d','latency':'2m'},"
            + "'data_description':{},'analysis_limits':{'model_memory_limit':'3000g'},'background_persist_interval':'2h','allow_lazy_open':true}"));
        var json = Json(job);
        Assert.Equal("3600s", json.GetProperty("analysis_config").GetProperty("bucket_span").GetString());
        Assert.Equal("14d", json.GetProperty("analysis_config").GetProperty("model_prune_window").GetString());
        Assert.Equal("2m", json.GetProperty("analysis_config").GetProperty("latency").GetString());
        Assert.Equal("3072000mb", json.GetProperty("analysis_limits").GetProperty("model_memory_limit").GetString());
        Assert.Equal("2h", json.GetProperty("background_persist_interval").GetString());
        Assert.True(json.GetProperty("allow_lazy_open").GetBoolean());
        Assert.Equal(3_600_000, job.ToIngestSchema().BucketSpanMs);
        Assert.Equal(120_000, job.ToIngestSchema().LatencyMs);
    }

    [Theory]
    [InlineData("2048", "2048mb")]
    [InlineData("'8g'", "8192mb")]
    [InlineData("'10m'", "10mb")]
    [InlineData("'1500kb'", "1mb")]
    public void ParseForCreate_model_memory_limit_is_rounded_down_to_mb(string value, string expected)
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'analysis_limits':{'model_memory_limit':" + value + "}}"));
        Assert.Equal(expected, Json(job).GetProperty("analysis_limits").GetProperty("model_memory_limit").GetString());
    }

    [Fact]
    public void ParseForCreate_enforces_max_model_memory_limit_setting()
    {
        var body = Utf8(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'analysis_limits':{'model_memory_limit':'10g'}}"));
        var e = Assert.Throws<Vigil.Engine.Errors.ElasticsearchException>(
            () => JobConfigParser.ParseForCreate(body, "j", Now, "8.15.0", maxModelMemoryLimitMb: 9 * 1024));
        Assert.Equal("status_exception", e.Type);
        Assert.Equal("model_memory_limit [10gb] must be less than the value of the xpack.ml.max_model_memory_limit setting [9gb]", e.Reason);

        var ok = JobConfigParser.ParseForCreate(body, "j", Now, "8.15.0", maxModelMemoryLimitMb: null);
        Assert.Equal(10240, ok.ModelMemoryLimitMb);

        var defaulted = JobConfigParser.ParseForCreate(Utf8(Q(Minimal)), "j", Now, "8.15.0", maxModelMemoryLimitMb: 512);
        Assert.Equal(512, defaulted.ModelMemoryLimitMb);
    }

    [Fact]
    public void ParseForCreate_model_memory_limit_below_one_mb_is_wrapped_parse_error()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'analysis_limits':{'model_memory_limit':'100kb'}}"));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.EndsWith("[job_details] failed to parse field [analysis_limits]", e.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
        Assert.Equal("model_memory_limit must be at least 1 MiB. Value = 0", e.RootCause.Reason);
    }

    [Fact]
    public void ParseForCreate_rejects_generated_fields()
    {
        var e = CreateFails(Q("{'model_snapshot_id':'x','create_time':1,'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("The job is configured with fields [model_snapshot_id,create_time] that are illegal to set at job creation", e.Reason);
    }

    [Theory]
    [InlineData("_", "Invalid job_id; '_' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric")]
    [InlineData("Upper", "Invalid job_id; 'Upper' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "The job id cannot contain more than 64 characters.")]
    public void ParseForCreate_rejects_invalid_job_ids(string id, string reason)
    {
        var e = CreateFails(Q(Minimal), id);
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void ParseForCreate_requires_analysis_config_and_data_description()
    {
        Assert.Equal("An analysis_config must be set", CreateFails(Q("{'data_description':{}}")).Reason);
        Assert.Equal("A data_description must be set", CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]}}")).Reason);
    }

    [Fact]
    public void ParseForCreate_rejects_time_field_used_in_analysis()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'mean','field_name':'time'}]},'data_description':{}}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("data_description.time_field may not be used in the analysis_config", e.Reason);

        var byField = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'rare','by_field_name':'@timestamp'}]},'data_description':{'time_field':'@timestamp'}}"));
        Assert.Equal("illegal_argument_exception", byField.Type);
    }

    [Fact]
    public void ParseForCreate_rejects_duplicate_detectors_with_or_without_index()
    {
        foreach (var body in new[]
        {
            "{'analysis_config':{'detectors':[{'function':'max','field_name':'responsetime'},{'function':'max','field_name':'responsetime'}]},'data_description':{}}",
            "{'analysis_config':{'detectors':[{'function':'max','field_name':'responsetime','detector_index':0},{'function':'max','field_name':'responsetime','detector_index':1}]},'data_description':{}}",
        })
        {
            var e = CreateFails(Q(body));
            Assert.Equal("illegal_argument_exception", e.Type);
            Assert.Equal("Duplicate detectors are not allowed: [max(responsetime)]", e.Reason);
        }
    }

    [Fact]
    public void ParseForCreate_reassigns_detector_indexes()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count','detector_index':7},{'function':'max','field_name':'x','detector_index':7}]},'data_description':{}}"));
        Assert.Equal(0, job.AnalysisConfig.Detectors[0].DetectorIndex);
        Assert.Equal(1, job.AnalysisConfig.Detectors[1].DetectorIndex);
    }

    [Fact]
    public void ParseForCreate_checks_retention_settings()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'model_snapshot_retention_days':3,'daily_model_snapshot_retention_after_days':4}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("The value of daily_model_snapshot_retention_after_days [4] cannot be greater than model_snapshot_retention_days [3]", e.Reason);

        var negative = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'model_snapshot_retention_days':3,'daily_model_snapshot_retention_after_days':-1}"));
        Assert.Equal("daily_model_snapshot_retention_after_days cannot be less than 0. Value = -1", negative.Reason);

        var results = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'results_retention_days':-1000}"));
        Assert.Equal("results_retention_days cannot be less than 0. Value = -1,000", results.Reason);
    }

    [Fact]
    public void ParseForCreate_daily_retention_default_only_when_retention_above_one()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'model_snapshot_retention_days':1}"));
        Assert.Equal(1, job.ModelSnapshotRetentionDays);
        Assert.Null(job.DailyModelSnapshotRetentionAfterDays);
    }

    [Fact]
    public void ParseForCreate_background_persist_interval_must_be_at_least_an_hour()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'background_persist_interval':'30m'}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("background_persist_interval cannot be less than 3,600. Value = 1,800", e.Reason);
    }

    [Theory]
    [InlineData("29m", "model_prune_window [29m] must be a multiple of bucket_span [15m]")]
    [InlineData("15m", "model_prune_window [15m] must be at least 2 times greater than bucket_span [15m]")]
    public void ParseForCreate_checks_model_prune_window(string window, string reason)
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':'15m','detectors':[{'function':'count'}],'model_prune_window':'" + window + "'},'data_description':{}}"));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal(reason, e.RootCause.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
    }

    [Theory]
    [InlineData("0s", "bucket_span cannot be less or equal than 0. Value = 0s")]
    [InlineData("1500ms", "bucket_span has to be a multiple of 1s; actual was '1.5s'")]
    public void ParseForCreate_bucket_span_must_be_positive_whole_seconds(string span, string reason)
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':'" + span + "','detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
        Assert.Equal(reason, e.RootCause.Reason);
    }

    [Fact]
    public void ParseForCreate_bad_duration_is_failed_to_parse_field()
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':'8w','detectors':[{'function':'count'}]},'data_description':{}}"));
        // bucket_span comes before detectors, so its consumer is queued and runs once detectors is read: the
        // outer wrappers are located at the end of the detectors array, the inner ones at the bad value.
        var body = Q("{'analysis_config':{'bucket_span':'8w','detectors':[{'function':'count'}]},'data_description':{}}");
        var arrayEnd = body.IndexOf("}]", StringComparison.Ordinal) + 2;
        Assert.Equal($"[1:{arrayEnd}] [job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal($"[1:{arrayEnd}] [analysis_config] failed to parse field [detectors]", e.Cause!.Reason);
        Assert.Equal("[1:35] failed to build [analysis_config] after last required field arrived", e.Cause.Cause!.Reason);
        Assert.Equal("[1:35] [analysis_config] failed to parse field [bucket_span]", e.Cause.Cause.Cause!.Reason);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
        Assert.Equal("failed to parse setting [bucket_span] with value [8w] as a time value: unit is missing or unrecognized", e.RootCause.Reason);
    }

    [Fact]
    public void ParseForCreate_bad_duration_after_detectors_is_wrapped_directly()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}],'bucket_span':'8w'},'data_description':{}}"));
        Assert.Equal("[1:70] [job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal("[1:70] [analysis_config] failed to parse field [bucket_span]", e.Cause!.Reason);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
    }

    [Fact]
    public void ParseForCreate_converts_categorization_filters_into_analyzer()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'mean','field_name':'responsetime','by_field_name':'airline'},"
            + "{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'some_category','categorization_filters':['cat1.*','cat2.*']},'data_description':{}}"));
        var analyzer = Json(job).GetProperty("analysis_config").GetProperty("categorization_analyzer");
        Assert.Equal("ml_standard", analyzer.GetProperty("tokenizer").GetString());
        Assert.Equal(1, analyzer.GetProperty("filter").GetArrayLength());
        var charFilter = analyzer.GetProperty("char_filter");
        Assert.Equal(3, charFilter.GetArrayLength());
        Assert.Equal("first_non_blank_line", charFilter[0].GetString());
        Assert.Equal("cat1.*", charFilter[1].GetProperty("pattern").GetString());
        Assert.Equal("cat2.*", charFilter[2].GetProperty("pattern").GetString());
        Assert.False(Json(job).GetProperty("analysis_config").TryGetProperty("categorization_filters", out _));
        Assert.False(Json(job).GetProperty("analysis_config").GetProperty("per_partition_categorization").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public void ParseForCreate_echoes_named_and_custom_analyzers()
    {
        var named = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_analyzer':'standard'},'data_description':{}}"));
        Assert.Equal("standard", Json(named).GetProperty("analysis_config").GetProperty("categorization_analyzer").GetString());

        var custom = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c',"
            + "'categorization_analyzer':{'char_filter':['html_strip'],'tokenizer':'classic','filter':['stop']}},'data_description':{}}"));
        Assert.Contains(Q("'categorization_analyzer':{'char_filter':['html_strip'],'tokenizer':'classic','filter':['stop']}"), Write(custom), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_analyzer':{'tokenizer':'classic'},'categorization_filters':['a']},'data_description':{}}",
        "categorization_filters cannot be used with categorization_analyzer - instead specify them as pattern_replace char_filters in the analyzer")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}]},'data_description':{}}",
        "categorization_field_name must be set for mlcategory to be available")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count'}],'categorization_field_name':'c'},'data_description':{}}",
        "categorization_field_name is set but mlcategory is not used in any detector by/over/partition field")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_filters':['a','a']},'data_description':{}}",
        "categorization_filters contain duplicates")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_filters':['']},'data_description':{}}",
        "categorization_filters are not allowed to contain empty strings")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','categorization_filters':['(']},'data_description':{}}",
        "categorization_filters contains invalid regular expression '('")]
    [InlineData("{'analysis_config':{'summary_count_field_name':'doc_count','detectors':[{'function':'metric','field_name':'x'}]},'data_description':{}}",
        "The 'metric' function cannot be used in jobs that will take pre-summarized input")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'a'}],'influencers':['a.b']},'data_description':{}}",
        "Fields [a] and [a.b] cannot both be used in the same analysis_config")]
    [InlineData("{'analysis_config':{'detectors':[]},'data_description':{}}", "No detectors configured")]
    public void ParseForCreate_analysis_config_rules_are_wrapped_status_exceptions(string body, string reason)
    {
        var e = CreateFails(Q(body));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.EndsWith("[job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
        Assert.Equal(400, e.RootCause.Status);
        Assert.Equal(reason, e.RootCause.Reason);
    }

    [Theory]
    [InlineData("yyyy-MM-dd HH:mm:ssX", true)]
    [InlineData("epoch", true)]
    [InlineData("epoch_ms", true)]
    [InlineData("dd/MMM/yyyy:HH:mm:ss Z", true)]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", true)]
    [InlineData("HH:mm:ss", false)]
    [InlineData("yyyy-MM-dd bb", false)]
    [InlineData("yyyy-MM-dd 'unclosed", false)]
    [InlineData("Epoch", false)]
    public void Data_description_time_format_is_validated(string format, bool valid)
    {
        var body = Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'time_format':'" + format.Replace("'", "\\u0027", StringComparison.Ordinal) + "'}}");
        if (valid)
        {
            Assert.Equal(format, Create(body).DataDescription.TimeFormat);
            return;
        }

        var e = CreateFails(body);
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.EndsWith("[job_details] failed to parse field [data_description]", e.Reason);
        Assert.EndsWith("[data_description] failed to parse field [time_format]", e.Cause!.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
        Assert.Equal($"Invalid Time format string '{format}'", e.RootCause.Reason);
    }

    [Fact]
    public void ParseForCreate_groups_are_validated()
    {
        var e = CreateFails(Q("{'groups':['Bad Group'],'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("Invalid group id 'Bad Group'; must be non-empty string and may contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric", e.Reason);

        var same = CreateFails(Q("{'groups':['test-job'],'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("resource_already_exists_exception", same.Type);
        Assert.Equal("job and group names must be unique but job [test-job] and group [test-job] have the same name", same.Reason);
    }

    [Fact]
    public void ParseForCreate_custom_results_index_gets_prefix()
    {
        var job = Create(Q("{'results_index_name':'mine','analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("custom-mine", job.ResultsIndexName);
    }

    [Fact]
    public void ParseForCreate_model_plot_annotations_default_to_enabled()
    {
        var job = Create(Q("{'model_plot_config':{'enabled':true,'terms':'foo,bar'},'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal(new ModelPlotConfig(true, "foo,bar", true), job.ModelPlotConfig);

        var missing = CreateFails(Q("{'model_plot_config':{'terms':'x'},'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("Required [enabled]", missing.RootCause.Reason);
    }

    [Fact]
    public void Required_input_fields_and_ingest_schema_follow_fixed_order()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'mean','field_name':'responsetime','by_field_name':'airline','partition_field_name':'region'},"
            + "{'function':'count','by_field_name':'mlcategory'},{'function':'sum','field_name':'bytes','over_field_name':'clientip'}],"
            + "'influencers':['airline','user'],'categorization_field_name':'message','summary_count_field_name':'doc_count'},'data_description':{'time_field':'@timestamp'}}"));
        Assert.Equal(["airline", "region", "clientip", "responsetime", "bytes", "user", "message", "doc_count"], job.ToIngestSchema().AnalysisFields);
        Assert.Equal(["airline", "region", "clientip", "responsetime", "bytes", "user", "message", "doc_count", "@timestamp"], job.RequiredInputFields);
        Assert.Equal("@timestamp", job.ToIngestSchema().TimeField);
    }

    [Fact]
    public void ValidateJob_accepts_configs_without_id()
    {
        JobConfigParser.ValidateJob(Utf8(Q("{'analysis_config':{'bucket_span':'1h','detectors':[{'function':'metric','field_name':'responsetime','by_field_name':'airline'}]},"
            + "'data_description':{'format':'xcontent','time_field':'time','time_format':'yyyy-MM-dd HH:mm:ssX'}}")));
    }

    [Fact]
    public void ValidateJob_reports_generated_fields_as_unknown()
    {
        var e = Assert.Throws<Vigil.Engine.Errors.ElasticsearchException>(() => JobConfigParser.ValidateJob(Utf8(Q(
            "{'model_snapshot_id':'x','analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"))));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal("[1:2] [job_details] unknown field [model_snapshot_id] did you mean [model_snapshot_retention_days]?", e.Reason);
    }

    [Fact]
    public void ValidateJob_reports_invalid_job_id_and_bad_format()
    {
        var bad = Assert.Throws<Vigil.Engine.Errors.ElasticsearchException>(() => JobConfigParser.ValidateJob(Utf8(Q(
            "{'job_id':'_','analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"))));
        Assert.StartsWith("Invalid job_id; '_' can contain", bad.Reason, StringComparison.Ordinal);

        var format = Assert.Throws<Vigil.Engine.Errors.ElasticsearchException>(() => JobConfigParser.ValidateJob(Utf8(Q(
            "{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'format':'wrong'}}"))));
        Assert.EndsWith("[data_description] failed to parse field [format]", format.Cause!.Reason);
    }

    [Fact]
    public void Data_description_format_is_accepted_but_not_echoed()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'format':'DELIMITED','time_field':'t'}}"));
        Assert.Contains(Q("'data_description':{'time_field':'t','time_format':'epoch_ms'}"), Write(job), StringComparison.Ordinal);
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'field_delimiter':','}}"));
        Assert.EndsWith("[data_description] unknown field [field_delimiter]", e.RootCause.Reason, StringComparison.Ordinal);
        var wrong = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'format':'wrong'}}"));
        Assert.Equal("No enum constant org.elasticsearch.xpack.core.ml.job.config.DataDescription.DataFormat.WRONG", wrong.RootCause.Reason);
    }

    [Fact]
    public void DeprecationWarnings_flags_bucket_spans_not_dividing_a_day()
    {
        var job = Create(Q("{'analysis_config':{'bucket_span':'17m','detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal(["bucket_span 17m [1020s] is not an integral divisor of the number of seconds in 1d [86400s]. This is now deprecated."],
            JobConfigParser.DeprecationWarnings(job));
        Assert.Empty(JobConfigParser.DeprecationWarnings(Create(Q(Minimal))));
    }

    [Fact]
    public void ParseForCreate_analysis_config_requires_detectors_field()
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':'1h'},'data_description':{}}"));
        Assert.EndsWith("[job_details] failed to parse field [analysis_config]", e.Reason, StringComparison.Ordinal);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
        Assert.Equal("Required [detectors]", e.RootCause.Reason);
    }

    [Theory]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','partition_field_name':'p'}],'categorization_field_name':'c','per_partition_categorization':{'enabled':true}},'data_description':{}}",
        "categorization_field_name is set but mlcategory is not used in any detector by/over/partition field")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory'}],'categorization_field_name':'c','per_partition_categorization':{'enabled':true}},'data_description':{}}",
        "partition_field_name must be set for detectors that reference mlcategory when per-partition categorization is enabled")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'mlcategory','partition_field_name':'a'},{'function':'count','partition_field_name':'b'}],'categorization_field_name':'c','per_partition_categorization':{'enabled':true}},'data_description':{}}",
        "partition_field_name cannot vary between detectors when per-partition categorization is enabled: [a] and [b] are used")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','partition_field_name':'mlcategory'}],'categorization_field_name':'c','per_partition_categorization':{'enabled':true}},'data_description':{}}",
        "mlcategory cannot be used as a partition_field_name when per-partition categorization is enabled")]
    public void ParseForCreate_per_partition_categorization_rules(string body, string reason)
    {
        Assert.Equal(reason, CreateFails(Q(body)).RootCause.Reason);
    }

    [Fact]
    public void Model_prune_window_messages_use_human_readable_durations()
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':'3600s','detectors':[{'function':'count'}],'model_prune_window':'90m'},'data_description':{}}"));
        Assert.Equal("model_prune_window [1.5h] must be a multiple of bucket_span [1h]", e.RootCause.Reason);
    }
}
