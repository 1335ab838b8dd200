using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class ModelMemoryEstimatorTests
{
    // The nine cases of estimate_model_memory.yml in elastic/elasticsearch.
    [Theory]
    [InlineData("'by_field_name':'airline'", "", "{'airline':50000}", "{}", "3135mb")]
    [InlineData("'by_field_name':'airline'", "'airline'", "{'airline':50000}", "{'airline':500}", "3135mb")]
    [InlineData("'by_field_name':'airline'", "'country'", "{'airline':50000}", "{'country':500}", "3140mb")]
    [InlineData("'partition_field_name':'airline'", "", "{'airline':50000}", "{}", "3135mb")]
    [InlineData("'partition_field_name':'airline'", "'airline'", "{'airline':50000}", "{'airline':500}", "3135mb")]
    [InlineData("'partition_field_name':'airline'", "'country'", "{'airline':50000}", "{'country':500}", "3140mb")]
    [InlineData("'by_field_name':'airline','partition_field_name':'country'", "", "{'airline':4000,'country':600}", "{}", "150010mb")]
    [InlineData("'by_field_name':'airline','partition_field_name':'country'", "'airline','country'", "{'airline':4000,'country':600}", "{'airline':60,'country':40}", "150010mb")]
    [InlineData("'by_field_name':'airline','partition_field_name':'country'", "'src_ip'", "{'airline':4000,'country':600}", "{'src_ip':500}", "150015mb")]
    public void Estimate_reproduces_yaml_values(string split, string influencers, string overall, string bucketMax, string expected)
    {
        var body = Q("{'analysis_config':{'bucket_span':'1h','detectors':[{'function':'max','field_name':'responsetime'," + split + "}],'influencers':[" + influencers
            + "]},'overall_cardinality':" + overall + ",'max_bucket_cardinality':" + bucketMax + "}");
        Assert.Equal(expected, ModelMemoryEstimator.Estimate(Utf8(body)));
    }

    [Fact]
    public void Estimate_defaults_mlcategory_cardinality_and_saturates()
    {
        var category = Q("{'analysis_config':{'detectors':[{'function':'mean','field_name':'x','by_field_name':'mlcategory'}],'categorization_field_name':'message'}}");
        // 10 MiB + 64 KiB * 500 + 1 byte -> 41.25 MiB + 1 byte -> 42 MiB.
        Assert.Equal("42mb", ModelMemoryEstimator.Estimate(Utf8(category)));

        var huge = Q("{'analysis_config':{'detectors':[{'function':'max','field_name':'x','by_field_name':'a','partition_field_name':'b'}]},"
            + "'overall_cardinality':{'a':9000000000000,'b':9000000000000}}");
        Assert.Equal((long.MaxValue / (1024 * 1024)).ToString(System.Globalization.CultureInfo.InvariantCulture) + "mb", ModelMemoryEstimator.Estimate(Utf8(huge)));
    }

    [Fact]
    public void Estimate_validates_analysis_config()
    {
        var e = Assert.Throws<ElasticsearchException>(() => ModelMemoryEstimator.Estimate(Utf8(Q("{'analysis_config':{'detectors':[{'function':'mean','by_field_name':'b'}]}}"))));
        Assert.Equal("field_name must be set when the 'mean' function is used", e.RootCause.Reason);
        var missing = Assert.Throws<ElasticsearchException>(() => ModelMemoryEstimator.Estimate(Utf8("{}")));
        Assert.Equal("action_request_validation_exception", missing.Type);
        Assert.Equal("Validation Failed: 1: [analysis_config] was not specified;", missing.Reason);

        var negative = Assert.Throws<ElasticsearchException>(() => ModelMemoryEstimator.Estimate(Utf8(Q(
            "{'analysis_config':{'detectors':[{'function':'count'}]},'overall_cardinality':{'a':-5}}"))));
        Assert.Equal("[1:84] [cluster:admin/xpack/ml/job/estimate_model_memory] failed to parse field [overall_cardinality]", negative.Reason);
        Assert.Equal("status_exception", negative.RootCause.Type);
        Assert.Equal("[overall_cardinality] contained negative cardinality [-5]", negative.RootCause.Reason);

        var unknown = Assert.Throws<ElasticsearchException>(() => ModelMemoryEstimator.Estimate(Utf8(Q("{'analysis':{}}"))));
        Assert.Equal("[1:2] [cluster:admin/xpack/ml/job/estimate_model_memory] unknown field [analysis] did you mean [analysis_config]?", unknown.Reason);
    }
}
