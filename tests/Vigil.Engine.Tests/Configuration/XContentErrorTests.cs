using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using static Vigil.Engine.Tests.Configuration.ConfigTestHelpers;

namespace Vigil.Engine.Tests.Configuration;

public sealed class XContentErrorTests
{
    [Fact]
    public void Unknown_top_level_field_reports_line_and_column_of_its_quote()
    {
        var body = "{\n  \"description\": \"x\",\n    \"foo\": 1,\n  \"analysis_config\": {\"detectors\": [{\"function\": \"count\"}]},\n  \"data_description\": {}\n}";
        var e = CreateFails(body);
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal(400, e.Status);
        Assert.Equal("[3:5] [job_details] unknown field [foo]", e.Reason);
        Assert.Null(e.Cause);
    }

    [Fact]
    public void Unknown_field_in_analysis_config_is_wrapped_by_job_details()
    {
        var body = "{\"analysis_config\": {\n  \"detectors\": [{\"function\": \"count\"}],\n  \"bukcet_span\": \"1h\"\n}, \"data_description\": {}}";
        var e = CreateFails(body);
        Assert.Equal("[3:3] [job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal("x_content_parse_exception", e.RootCause.Type);
        Assert.Equal("[3:3] [analysis_config] unknown field [bukcet_span] did you mean [bucket_span]?", e.RootCause.Reason);
    }

    [Fact]
    public void Unknown_field_in_detector_is_wrapped_twice()
    {
        var body = Q("{'analysis_config':{'detectors':[{'function':'count','fieldname':'x'}]},'data_description':{}}");
        var e = CreateFails(body);
        Assert.Equal("[1:54] [job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal("[1:54] [analysis_config] failed to parse field [detectors]", e.Cause!.Reason);
        Assert.Equal("[1:54] [detector] unknown field [fieldname] did you mean any of [field_name, by_field_name, over_field_name]?", e.RootCause.Reason);
    }

    [Theory]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{'timefield':'t'}}", "[data_description] unknown field [timefield] did you mean [time_field]?")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'analysis_limits':{'mml':1}}", "[analysis_limits] unknown field [mml]")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'model_plot_config':{'enabled':true,'x':1}}", "[model_plot_config] unknown field [x]")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'a','custom_rules':[{'conditions':[{'applies_to':'actual','operator':'gt','value':1,'foo':2}]}]}]},'data_description':{}}", "[rule_condition] unknown field [foo]")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'a','custom_rules':[{'scope':{'a':{'filter_id':'f','kind':'x'}}}]}]},'data_description':{}}", "[filter_ref] unknown field [kind]")]
    [InlineData("{'analysis_config':{'detectors':[{'function':'count','by_field_name':'a','custom_rules':[{'action':['skip_result']}]}]},'data_description':{}}", "[detection_rule] unknown field [action] did you mean [actions]?")]
    public void Unknown_fields_are_rejected_at_every_level(string body, string innermost)
    {
        var e = CreateFails(Q(body));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.Equal("x_content_parse_exception", e.RootCause.Type);
        Assert.EndsWith(innermost, e.RootCause.Reason, StringComparison.Ordinal);
        Assert.Matches(@"^\[1:\d+\] ", e.RootCause.Reason);
    }

    [Fact]
    public void Wrong_value_type_is_not_wrapped_in_failed_to_parse()
    {
        var e = CreateFails(Q("{'analysis_config':{'bucket_span':3600,'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("[1:35] [analysis_config] bucket_span doesn't support values of type: VALUE_NUMBER", e.RootCause.Reason);
        Assert.Equal("[1:35] [job_details] failed to parse field [analysis_config]", e.Reason);
    }

    [Fact]
    public void Unparsable_number_is_failed_to_parse_field_with_number_format_cause()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'results_retention_days':'abc'}"));
        Assert.Equal("[1:104] [job_details] failed to parse field [results_retention_days]", e.Reason);
        Assert.Equal("number_format_exception", e.RootCause.Type);
        Assert.Equal("For input string: \"abc\"", e.RootCause.Reason);
    }

    [Fact]
    public void Boolean_from_bad_string_is_failed_to_parse_field()
    {
        var e = CreateFails(Q("{'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{},'allow_lazy_open':'yes'}"));
        Assert.EndsWith("[job_details] failed to parse field [allow_lazy_open]", e.Reason, StringComparison.Ordinal);
        Assert.Equal("Failed to parse value [yes] as only [true] or [false] are allowed.", e.RootCause.Reason);
    }

    [Fact]
    public void Detector_validation_error_is_located_at_detector_end()
    {
        var body = "{\"analysis_config\":{\"detectors\":[{\"function\":\"mean\",\"by_field_name\":\"airline\"}]},\"data_description\":{}}";
        var e = CreateFails(body);
        var close = body.IndexOf("}]", StringComparison.Ordinal) + 1;
        Assert.Equal($"[1:{close}] [job_details] failed to parse field [analysis_config]", e.Reason);
        Assert.Equal($"[1:{close}] [analysis_config] failed to parse field [detectors]", e.Cause!.Reason);
        Assert.Equal("status_exception", e.RootCause.Type);
        Assert.Equal("field_name must be set when the 'mean' function is used", e.RootCause.Reason);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"analysis_config\": }")]
    [InlineData("[1,2")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("\u00ff\u00fe")]
    public void Malformed_json_throws_only_elasticsearch_exceptions(string body)
    {
        var e = Assert.ThrowsAny<ElasticsearchException>(() => Create(body));
        Assert.Equal(400, e.Status);
        Assert.ThrowsAny<ElasticsearchException>(() => JobConfigParser.ValidateJob(Utf8(body)));
        Assert.ThrowsAny<ElasticsearchException>(() => JobConfigParser.ValidateDetector(Utf8(body)));
        Assert.ThrowsAny<ElasticsearchException>(() => JobUpdate.Parse(Utf8(body)));
        Assert.ThrowsAny<ElasticsearchException>(() => ModelMemoryEstimator.Estimate(Utf8(body)));
        Assert.ThrowsAny<ElasticsearchException>(() => JobConfigParser.ParseStored(Utf8(body)));
    }

    [Fact]
    public void Malformed_json_reports_location()
    {
        var e = CreateFails("{\n  \"analysis_config\": }");
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.StartsWith("[2:", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_body_is_parse_exception()
    {
        var e = CreateFails("  ");
        Assert.Equal("parse_exception", e.Type);
        Assert.Equal("request body is required", e.Reason);
    }

    [Fact]
    public void Non_object_body_is_rejected()
    {
        var e = CreateFails("[]");
        Assert.Equal("[1:1] [job_details] Expected START_OBJECT but was: START_ARRAY", e.Reason);
    }

    [Fact]
    public void Duplicate_keys_are_rejected()
    {
        var e = CreateFails(Q("{'description':'a','description':'b'}"));
        Assert.Equal("[1:20] Duplicate field 'description'", e.Reason);
    }

    [Fact]
    public void Columns_count_bytes_of_multibyte_text()
    {
        // "é" is two UTF-8 bytes; Jackson's byte-based parser counts columns in bytes.
        var e = CreateFails("{\"description\":\"é\",\"foo\":1}");
        Assert.Equal("[1:21] [job_details] unknown field [foo]", e.Reason);
    }

    [Fact]
    public void Suggestions_list_all_close_candidates_best_first()
    {
        Assert.Equal(" did you mean [fop]?", XContent.Suggest("foo", [new("bar", VType.String, _ => { }), new("fop", VType.String, _ => { })]));
        Assert.Equal(" did you mean any of [fop, fou]?", XContent.Suggest("foo",
            [new("bar", VType.String, _ => { }), new("fop", VType.String, _ => { }), new("fou", VType.String, _ => { }), new("baz", VType.String, _ => { })]));
        Assert.Equal(string.Empty, XContent.Suggest("foo", [new("bar", VType.String, _ => { }), new("baz", VType.String, _ => { })]));
    }

    [Fact]
    public void Invalid_utf8_is_an_x_content_parse_exception()
    {
        byte[] body = [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        var e = Assert.ThrowsAny<ElasticsearchException>(() => JobConfigParser.ParseForCreate(body, "j", Now, "8.15.0"));
        Assert.Equal("x_content_parse_exception", e.Type);
        Assert.ThrowsAny<ElasticsearchException>(() => JobUpdate.Parse(body));
    }

    [Fact]
    public void Deep_nesting_is_an_x_content_parse_exception()
    {
        var body = "{\"custom_settings\":" + new string('[', 300) + new string(']', 300) + "}";
        var e = Assert.ThrowsAny<ElasticsearchException>(() => Create(body));
        Assert.Equal("x_content_parse_exception", e.Type);
    }

    [Fact]
    public void Null_in_string_array_cannot_give_text()
    {
        var e = CreateFails(Q("{'groups':['a',null],'analysis_config':{'detectors':[{'function':'count'}]},'data_description':{}}"));
        Assert.Equal("[1:16] [job_details] failed to parse field [groups]", e.Reason);
        Assert.Equal("Can't get text on a VALUE_NULL at 1:16", e.RootCause.Reason);
    }
}
