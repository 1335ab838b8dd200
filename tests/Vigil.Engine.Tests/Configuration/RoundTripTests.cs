using System.Text;
using Vigil.Engine.Configuration;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class RoundTripTests
{
    public static TheoryData<string> Bodies => new()
    {
        Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"),
        Q("{'description':'full','groups':['g1','g2'],'custom_settings':{'a':{'b':[1,2.5,true,null,'x']}},"
            + "'analysis_config':{'bucket_span':'3600s','latency':'30s','summary_count_field_name':'doc_count',"
            + "'detectors':[{'function':'mean','field_name':'responsetime','by_field_name':'airline','partition_field_name':'p','use_null':true,'exclude_frequent':'by',"
            + "'custom_rules':[{'actions':['skip_model_update'],'scope':{'airline':{'filter_id':'f','filter_type':'exclude'}},'conditions':[{'applies_to':'diff_from_typical','operator':'gte','value':1e-5}]}]},"
            + "{'function':'count','by_field_name':'mlcategory','partition_field_name':'p','detector_description':'cats'}],"
            + "'influencers':['airline','host'],'categorization_field_name':'message','categorization_filters':['\\\\d+'],"
            + "'per_partition_categorization':{'enabled':true,'stop_on_warn':true},'model_prune_window':'30d','multivariate_by_fields':true},"
            + "'analysis_limits':{'model_memory_limit':'64mb','categorization_examples_limit':2},"
            + "'data_description':{'time_field':'@timestamp','time_format':'yyyy-MM-dd HH:mm:ssX'},"
            + "'model_plot_config':{'enabled':true,'terms':'a,b','annotations_enabled':false},'renormalization_window_days':20,"
            + "'background_persist_interval':'90m','model_snapshot_retention_days':7,'daily_model_snapshot_retention_after_days':3,"
            + "'results_retention_days':100,'system_annotations_retention_days':60,'results_index_name':'mine','allow_lazy_open':true,"
            + "'datafeed_config':{'indexes':['index-foo']}}"),
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Write_ParseStored_Write_is_byte_identical(string body)
    {
        var job = Create(body);
        var first = JobConfigWriter.ToUtf8(job);
        var stored = JobConfigParser.ParseStored(first);
        var second = JobConfigWriter.ToUtf8(stored);
        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void Generated_fields_survive_storage()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"))
            .WithFinishedTime(Now.AddHours(1))
            .WithModelSnapshot("1700000000", "7.0.0")
            .WithBlocked(new Blocked("reset", "node-1:42"));
        var stored = JobConfigParser.ParseStored(JobConfigWriter.ToUtf8(job));
        Assert.Equal(job.FinishedTime, stored.FinishedTime);
        Assert.Equal("1700000000", stored.ModelSnapshotId);
        Assert.Equal("7.0.0", stored.ModelSnapshotMinVersion);
        Assert.Equal(new Blocked("reset", "node-1:42"), stored.Blocked);
        Assert.Equal(JobConfigWriter.ToUtf8(job), JobConfigWriter.ToUtf8(stored));
    }

    [Fact]
    public void Exclude_generated_hides_generated_fields_and_datafeed()
    {
        var job = Create(Q("{'custom_settings':{'k':1},'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'datafeed_config':{'indexes':['i']}}"))
            .WithFinishedTime(Now);
        var text = Write(job, excludeGenerated: true);
        Assert.StartsWith(Q("{'job_id':'test-job','custom_settings':{'k':1},'analysis_config'"), text, StringComparison.Ordinal);
        Assert.DoesNotContain("create_time", text, StringComparison.Ordinal);
        Assert.DoesNotContain("datafeed_config", text, StringComparison.Ordinal);
        Assert.Contains("datafeed_config", Write(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Human_adds_string_twins_before_times()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            JobConfigWriter.Write(writer, job, excludeGenerated: false, human: true);
        }

        Assert.Contains(Q("'create_time_string':'2023-11-14T22:13:20.000Z','create_time':1700000000000"), Encoding.UTF8.GetString(buffer.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_datafeed_gets_job_and_datafeed_ids()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'datafeed_config':{'indexes':['index-foo']}}"));
        Assert.Equal(Q("{'datafeed_id':'test-job','job_id':'test-job','indexes':['index-foo']}"), job.DatafeedConfig);

        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'datafeed_config':{'job_id':'other','indexes':['i']}}"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal("datafeed job_id [other] does not equal job id [test-job}", e.Reason);
    }

    [Fact]
    public void Exclude_generated_drops_created_by_from_custom_settings()
    {
        var job = Create(Q("{'custom_settings':{'created_by':'ml-module','k':1},'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Contains(Q("'custom_settings':{'k':1}"), Write(job, excludeGenerated: true), StringComparison.Ordinal);
        Assert.Contains(Q("'custom_settings':{'created_by':'ml-module','k':1}"), Write(job), StringComparison.Ordinal);
    }

    [Fact]
    public void Echoed_objects_write_numbers_as_java_would()
    {
        var job = Create(Q("{'custom_settings':{'a':1.50,'b':1e2,'c':-0,'d':123456789012345678901234567890,'e':7},'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal(Q("{'a':1.5,'b':100.0,'c':0,'d':123456789012345678901234567890,'e':7}"), job.CustomSettings);
    }

    [Fact]
    public void Referenced_filter_ids_are_listed_once()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'a','over_field_name':'b','custom_rules':[{'scope':{'a':{'filter_id':'f1'},'b':{'filter_id':'f2'}}},{'scope':{'a':{'filter_id':'f1'}}}]}]},'data_description':{}}"));
        Assert.Equal(["f1", "f2"], job.ReferencedFilterIds());
    }

    [Fact]
    public void ParseStored_ignores_unknown_fields_like_ES_lenient_parsers()
    {
        var text = Write(Create(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}")));
        var withFuture = text.Replace(Q("'analysis_config':{"), Q("'future_field':1,'analysis_config':{'future_inner':{'x':1},"), StringComparison.Ordinal);
        var stored = JobConfigParser.ParseStored(Utf8(withFuture));
        Assert.Equal(text, Write(stored));
    }
}
