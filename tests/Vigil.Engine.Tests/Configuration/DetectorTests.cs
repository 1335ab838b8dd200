using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class DetectorTests
{
    private static Detector Parse(string json) => JobConfigParser.ParseDetector(Utf8(Q(json)));

    private static ElasticsearchException Fails(string json) =>
        Assert.Throws<ElasticsearchException>(() => JobConfigParser.ValidateDetector(Utf8(Q(json))));

    [Theory]
    [InlineData("nzc", "non_zero_count")]
    [InlineData("low_nzc", "low_non_zero_count")]
    [InlineData("high_nzc", "high_non_zero_count")]
    [InlineData("dc", "distinct_count")]
    [InlineData("low_dc", "low_distinct_count")]
    [InlineData("high_dc", "high_distinct_count")]
    [InlineData("avg", "avg")]
    public void Aliases_are_stored_under_canonical_name(string alias, string canonical)
    {
        var field = DetectorFunctions.RequiresFieldName(canonical) ? ",'field_name':'f'" : string.Empty;
        var d = Parse("{'function':'" + alias + "','by_field_name':'b'" + field + "}");
        Assert.Equal(canonical, d.Function);
    }

    [Fact]
    public void Validate_detector_accepts_count_by_airline()
    {
        JobConfigParser.ValidateDetector(Utf8(Q("{'function':'count','by_field_name':'airline'}")));
    }

    [Theory]
    [InlineData("{'function':'mean','by_field_name':'airline'}", "field_name must be set when the 'mean' function is used")]
    [InlineData("{'function':'count','field_name':'x'}", "field_name cannot be used with function 'count'")]
    [InlineData("{'function':'rare'}", "Unless a count or temporal function is used one of field_name, by_field_name or over_field_name must be set")]
    [InlineData("{'function':'rare','over_field_name':'o'}", "by_field_name must be set when the 'rare' function is used")]
    [InlineData("{'function':'freq_rare','by_field_name':'b'}", "over_field_name must be set when the 'freq_rare' function is used")]
    [InlineData("{'function':'nzc','by_field_name':'b','over_field_name':'o'}", "over_field_name cannot be used with function 'non_zero_count'")]
    [InlineData("{'function':'count','by_field_name':'a\\\"b'}", "Invalid field name 'a\"b'. Field names including over, by and partition fields cannot contain any of these characters: \",\\")]
    [InlineData("{'function':'count','by_field_name':'.'}", "Invalid field name '.'. Field names including over, by and partition fields cannot be '.'")]
    [InlineData("{'function':'count','by_field_name':'x','partition_field_name':'x'}", "partition_field_name and by_field_name cannot be the same: 'x'")]
    [InlineData("{'function':'count','over_field_name':'x','partition_field_name':'x'}", "partition_field_name and over_field_name cannot be the same: 'x'")]
    [InlineData("{'function':'count','by_field_name':'x','over_field_name':'x'}", "by_field_name and over_field_name cannot be the same: 'x'")]
    [InlineData("{'function':'count','by_field_name':'count'}", "'count' is not a permitted value for by_field_name")]
    [InlineData("{'function':'count','over_field_name':'by'}", "'by' is not a permitted value for over_field_name")]
    [InlineData("{'function':'count','by_field_name':'over'}", "'over' is not a permitted value for by_field_name")]
    [InlineData("{'field_name':'x'}", "field_name cannot be used with function 'null'")]
    public void Detector_rules_are_status_exceptions(string json, string reason)
    {
        var e = Fails(json);
        Assert.Equal("status_exception", e.Type);
        Assert.Equal(400, e.Status);
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void Unknown_function_is_illegal_argument_wrapped_by_detector()
    {
        var e = Fails("{'function':'foo','by_field_name':'b'}");
        Assert.Equal("[1:13] [detector] failed to parse field [function]", e.Reason);
        Assert.Equal("illegal_argument_exception", e.RootCause.Type);
        Assert.Equal("Unknown function 'foo'", e.RootCause.Reason);
    }

    [Fact]
    public void Missing_function_defaults_to_metric()
    {
        Assert.Equal("metric", Parse("{'by_field_name':'b'}").Function);
    }

    [Theory]
    [InlineData("{'function':'mean','field_name':'responsetime','by_field_name':'airline'}", "mean(responsetime) by airline")]
    [InlineData("{'function':'count','by_field_name':'mlcategory'}", "count by mlcategory")]
    [InlineData("{'function':'rare','by_field_name':'a','over_field_name':'b','partition_field_name':'p','use_null':true,'exclude_frequent':'ALL'}",
        "rare by a over b partitionfield=p usenull=true excludefrequent=all")]
    [InlineData("{'function':'max','field_name':'response.time','by_field_name':'@host'}", "max(\"response.time\") by \"@host\"")]
    [InlineData("{'function':'count','detector_description':'mine'}", "mine")]
    public void Default_description_matches_ES(string json, string description)
    {
        Assert.Equal(description, Parse(json).DetectorDescription);
    }

    [Fact]
    public void Custom_rules_get_defaults_and_are_written_like_ES()
    {
        var job = Create(Q("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'country','custom_rules':[{"
            + "'actions':['skip_result','skip_model_update'],'scope':{'country':{'filter_id':'safe_countries'}},"
            + "'conditions':[{'applies_to':'actual','operator':'lt','value':33.3},{'applies_to':'typical','operator':'lte','value':42}]},"
            + "{'conditions':[{'applies_to':'time','operator':'gte','value':10}]}]}]},'data_description':{}}"));
        var written = Write(job);
        Assert.Contains(Q("'custom_rules':[{'actions':['skip_result','skip_model_update'],'scope':{'country':{'filter_id':'safe_countries','filter_type':'include'}},"
            + "'conditions':[{'applies_to':'actual','operator':'lt','value':33.3},{'applies_to':'typical','operator':'lte','value':42.0}]},"
            + "{'actions':['skip_result'],'conditions':[{'applies_to':'time','operator':'gte','value':10.0}]}]"), written, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{'function':'count','by_field_name':'a','custom_rules':[{'actions':['skip_result']}]}", "Invalid detector rule: at least scope or a condition is required")]
    [InlineData("{'function':'count','custom_rules':[{'scope':{'x':{'filter_id':'f'}}}]}", "Invalid detector rule: scope field 'x' is invalid; detector has no available fields for scoping")]
    [InlineData("{'function':'count','by_field_name':'b','over_field_name':'a','custom_rules':[{'scope':{'x':{'filter_id':'f'}}}]}", "Invalid detector rule: scope field 'x' is invalid; select from [a, b]")]
    [InlineData("{'function':'rare','by_field_name':'b','custom_rules':[{'conditions':[{'applies_to':'actual','operator':'gt','value':1}]}]}", "Invalid detector rule: function rare only supports conditions that apply to time")]
    public void Custom_rule_validation(string json, string reason)
    {
        var e = Fails(json);
        Assert.Equal(reason, e.RootCause.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
    }

    [Fact]
    public void Rule_condition_requires_all_fields()
    {
        var e = Fails("{'function':'count','by_field_name':'a','custom_rules':[{'conditions':[{'applies_to':'actual'}]}]}");
        Assert.Equal("Required [operator, value]", e.RootCause.Reason);
    }

    [Fact]
    public void Bad_enum_values_name_the_java_enum()
    {
        var e = Fails("{'function':'count','by_field_name':'a','exclude_frequent':'some'}");
        Assert.Equal("[1:60] [detector] failed to parse field [exclude_frequent]", e.Reason);
        Assert.Equal("No enum constant org.elasticsearch.xpack.core.ml.job.config.Detector.ExcludeFrequent.SOME", e.RootCause.Reason);
    }

    [Fact]
    public void Rule_actions_are_a_set_in_enum_order()
    {
        var d = Parse("{'function':'count','by_field_name':'a','custom_rules':[{'actions':['skip_model_update','skip_result','skip_model_update'],'scope':{'a':{'filter_id':'f'}}}]}");
        Assert.Equal(["skip_result", "skip_model_update"], d.CustomRules[0].Actions);
    }

    [Fact]
    public void Force_time_shift_needs_params_and_is_written_back()
    {
        var d = Parse("{'function':'count','custom_rules':[{'actions':['force_time_shift'],'params':{'force_time_shift':{'time_shift_amount':3600,'extra':1}},'conditions':[{'applies_to':'time','operator':'gte','value':1700000000}]}]}");
        Assert.Equal(3600, d.CustomRules[0].ForceTimeShiftAmount);
        Assert.Equal("status_exception", Fails("{'function':'count','custom_rules':[{'actions':['force_time_shift'],'conditions':[{'applies_to':'time','operator':'gte','value':1}]}]}").RootCause.Type);
        Assert.Equal("Required [time_shift_amount]", Fails("{'function':'count','custom_rules':[{'actions':['force_time_shift'],'params':{'force_time_shift':{}},'conditions':[{'applies_to':'time','operator':'gte','value':1}]}]}").RootCause.Reason);
    }
}
