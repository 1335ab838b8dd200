using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class JobsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Put_job_returns_the_job_with_elasticsearch_defaults()
    {
        var reply = await Server.PutAsync("/_ml/anomaly_detectors/defaults-job",
            """{"analysis_config":{"detectors":[{"function":"count"}]},"data_description":{}}""");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var job = reply.Json!;
        Assert.Equal("defaults-job", (string?)job["job_id"]);
        Assert.Equal("anomaly_detector", (string?)job["job_type"]);
        Assert.True((long)job["create_time"]! > 0);
        Assert.Equal("5m", (string?)job["analysis_config"]!["bucket_span"]);
        Assert.Equal("count", (string?)job["analysis_config"]!["detectors"]![0]!["detector_description"]);
        Assert.Equal(0, (int)job["analysis_config"]!["detectors"]![0]!["detector_index"]!);
        Assert.Empty(job["analysis_config"]!["influencers"]!.AsArray());
        Assert.Equal("1024mb", (string?)job["analysis_limits"]!["model_memory_limit"]);
        Assert.Equal(4, (int)job["analysis_limits"]!["categorization_examples_limit"]!);
        Assert.Equal("time", (string?)job["data_description"]!["time_field"]);
        Assert.Equal("epoch_ms", (string?)job["data_description"]!["time_format"]);
        Assert.Equal(10, (int)job["model_snapshot_retention_days"]!);
        Assert.Equal(1, (int)job["daily_model_snapshot_retention_after_days"]!);
        Assert.Equal("shared", (string?)job["results_index_name"]);
        Assert.False((bool)job["allow_lazy_open"]!);
        Assert.Null(job["groups"]);
        Assert.Null(job["finished_time"]);
    }

    [Fact]
    public async Task Put_job_twice_is_resource_already_exists()
    {
        await Jobs.CreateAsync(Server, "twice-job");

        var reply = await Server.PutAsync("/_ml/anomaly_detectors/twice-job", Jobs.Farequote);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("resource_already_exists_exception", reply.ErrorType);
        Assert.Equal("The job cannot be created with the Id 'twice-job'. The Id is already used.", reply.ErrorReason);
    }

    [Fact]
    public async Task Put_job_with_different_body_id_is_illegal_argument()
    {
        var reply = await Server.PutAsync("/_ml/anomaly_detectors/url-id",
            """{"job_id":"body-id","analysis_config":{"detectors":[{"function":"count"}]},"data_description":{}}""");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("illegal_argument_exception", reply.ErrorType);
        Assert.Equal("Inconsistent job_id; 'body-id' specified in the body differs from 'url-id' specified as a URL argument", reply.ErrorReason);
    }

    [Theory]
    [InlineData("Bad_Id", "Invalid job_id; 'Bad_Id' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric")]
    [InlineData("-dash", "Invalid job_id; '-dash' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric")]
    public async Task Put_job_with_invalid_id_is_rejected(string id, string reason)
    {
        var reply = await Server.PutAsync($"/_ml/anomaly_detectors/{id}", Jobs.Farequote);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("illegal_argument_exception", reply.ErrorType);
        Assert.Equal(reason, reply.ErrorReason);
    }

    [Fact]
    public async Task Put_job_with_too_long_id_is_rejected()
    {
        var reply = await Server.PutAsync($"/_ml/anomaly_detectors/{new string('a', 65)}", Jobs.Farequote);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("The job id cannot contain more than 64 characters.", reply.ErrorReason);
    }

    [Fact]
    public async Task Put_job_with_unknown_field_is_x_content_parse_exception_with_position()
    {
        var reply = await Server.PutAsync("/_ml/anomaly_detectors/unknown-field",
            "{\"analysis_config\":{\"detectors\":[{\"function\":\"count\"}]},\"data_description\":{},\"bogus\":1}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("x_content_parse_exception", reply.ErrorType);
        Assert.Matches(@"^\[1:\d+\] \[job_details\] unknown field \[bogus\]$", reply.ErrorReason);
    }

    [Fact]
    public async Task Put_job_without_detectors_or_body_gives_elasticsearch_errors()
    {
        var noDetectors = await Server.PutAsync("/_ml/anomaly_detectors/no-detectors",
            """{"analysis_config":{"detectors":[]},"data_description":{}}""");
        Assert.Equal(HttpStatusCode.BadRequest, noDetectors.Status);
        Assert.Contains("No detectors configured", noDetectors.Text, StringComparison.Ordinal);

        var noBody = await Server.SendAsync(HttpMethod.Put, "/_ml/anomaly_detectors/no-body");
        Assert.Equal(HttpStatusCode.BadRequest, noBody.Status);
        Assert.Equal("parse_exception", noBody.ErrorType);
        Assert.Equal("request body is required", noBody.ErrorReason);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1,2]")]
    [InlineData("{\"analysis_config\":}")]
    [InlineData("\u0001\u0002")]
    public async Task Put_job_with_malformed_body_is_a_400_not_a_500(string body)
    {
        var reply = await Server.PutAsync("/_ml/anomaly_detectors/malformed", body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.NotNull(reply.ErrorType);
    }

    [Fact]
    public async Task Get_jobs_resolves_expressions_sorted_by_id()
    {
        await Jobs.CreateAsync(Server, "expr-b");
        await Jobs.CreateAsync(Server, "expr-a");
        await Jobs.CreateAsync(Server, "expr-grouped", """
            {"groups":["expr-group"],"analysis_config":{"detectors":[{"function":"count"}]},"data_description":{}}
            """);

        var wildcard = await Server.GetAsync("/_ml/anomaly_detectors/expr-*");
        Assert.Equal(3, (int)wildcard.Json!["count"]!);
        Assert.Equal(["expr-a", "expr-b", "expr-grouped"], wildcard.Json!["jobs"]!.AsArray().Select(j => (string?)j!["job_id"]));

        var list = await Server.GetAsync("/_ml/anomaly_detectors/expr-b,expr-a");
        Assert.Equal(["expr-a", "expr-b"], list.Json!["jobs"]!.AsArray().Select(j => (string?)j!["job_id"]));

        var group = await Server.GetAsync("/_ml/anomaly_detectors/expr-group");
        Assert.Equal("expr-grouped", (string?)group.Json!["jobs"]![0]!["job_id"]);

        var all = await Server.GetAsync("/_ml/anomaly_detectors/_all");
        var none = await Server.GetAsync("/_ml/anomaly_detectors");
        Assert.True((int)all.Json!["count"]! >= 3);
        Assert.Equal((int)all.Json!["count"]!, (int)none.Json!["count"]!);
    }

    [Fact]
    public async Task Get_jobs_no_match_follows_allow_no_match()
    {
        var allowed = await Server.GetAsync("/_ml/anomaly_detectors/missing-*");
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(0, (int)allowed.Json!["count"]!);

        var refused = await Server.GetAsync("/_ml/anomaly_detectors/missing-*?allow_no_match=false");
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Equal("resource_not_found_exception", refused.ErrorType);
        Assert.Equal("No known job with id 'missing-*'", refused.ErrorReason);

        var deprecated = await Server.GetAsync("/_ml/anomaly_detectors/missing-*?allow_no_jobs=true");
        Assert.Equal(HttpStatusCode.OK, deprecated.Status);
        Assert.Contains("Deprecated field [allow_no_jobs] used, expected [allow_no_match] instead", deprecated.Headers.GetValues("Warning").Single(), StringComparison.Ordinal);

        var explicitId = await Server.GetAsync("/_ml/anomaly_detectors/not-there");
        Assert.Equal(HttpStatusCode.NotFound, explicitId.Status);
        Assert.Equal("No known job with id 'not-there'", explicitId.ErrorReason);
    }

    [Fact]
    public async Task Update_changes_fields_and_analysis_limits_only_while_closed()
    {
        await Jobs.CreateAsync(Server, "update-job");
        var update = await Server.PostAsync("/_ml/anomaly_detectors/update-job/_update",
            """{"description":"changed","groups":["ops"],"analysis_limits":{"model_memory_limit":"20mb"},"custom_settings":{"a":1}}""");
        Assert.Equal(HttpStatusCode.OK, update.Status);
        Assert.Equal("changed", (string?)update.Json!["description"]);
        Assert.Equal("ops", (string?)update.Json!["groups"]![0]);
        Assert.Equal("20mb", (string?)update.Json!["analysis_limits"]!["model_memory_limit"]);
        Assert.Equal(1, (int)update.Json!["custom_settings"]!["a"]!);

        var read = await Server.GetAsync("/_ml/anomaly_detectors/update-job");
        Assert.Equal("changed", (string?)read.Json!["jobs"]![0]!["description"]);

        await Server.PostAsync("/_ml/anomaly_detectors/update-job/_open");
        var whileOpen = await Server.PostAsync("/_ml/anomaly_detectors/update-job/_update",
            """{"analysis_limits":{"model_memory_limit":"30mb"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, whileOpen.Status);
        Assert.Contains("Cannot update analysis_limits while the job is open", whileOpen.Text, StringComparison.Ordinal);
        await Server.PostAsync("/_ml/anomaly_detectors/update-job/_close");
    }

    [Fact]
    public async Task Update_of_all_or_unknown_job_is_rejected()
    {
        var all = await Server.PostAsync("/_ml/anomaly_detectors/_all/_update", """{"description":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, all.Status);

        var unknown = await Server.PostAsync("/_ml/anomaly_detectors/no-such-job/_update", """{"description":"x"}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("No known job with id 'no-such-job'", unknown.ErrorReason);
    }

    [Fact]
    public async Task Delete_refuses_an_open_job_unless_forced()
    {
        await Jobs.CreateOpenAsync(Server, "delete-open-job");

        var refused = await Server.DeleteAsync("/_ml/anomaly_detectors/delete-open-job");
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("status_exception", refused.ErrorType);
        Assert.Equal("Cannot delete job [delete-open-job] because the job is opened", refused.ErrorReason);

        var forced = await Server.DeleteAsync("/_ml/anomaly_detectors/delete-open-job?force=true");
        Assert.Equal(HttpStatusCode.OK, forced.Status);
        Assert.True((bool)forced.Json!["acknowledged"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/anomaly_detectors/delete-open-job")).Status);

        var missing = await Server.DeleteAsync("/_ml/anomaly_detectors/delete-open-job");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task Validate_accepts_good_config_and_rejects_bad_detector()
    {
        var ok = await Server.PostAsync("/_ml/anomaly_detectors/_validate",
            """{"analysis_config":{"detectors":[{"function":"mean","field_name":"x"}]},"data_description":{}}""");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.True((bool)ok.Json!["acknowledged"]!);

        var detector = await Server.PostAsync("/_ml/anomaly_detectors/_validate/detector", """{"function":"mean","by_field_name":"x"}""");
        Assert.Equal(HttpStatusCode.BadRequest, detector.Status);
        Assert.Contains("field_name must be set when the 'mean' function is used", detector.Text, StringComparison.Ordinal);

        var goodDetector = await Server.PostAsync("/_ml/anomaly_detectors/_validate/detector", """{"function":"count","by_field_name":"x"}""");
        Assert.Equal(HttpStatusCode.OK, goodDetector.Status);
    }

    [Fact]
    public async Task Estimate_model_memory_answers_a_megabyte_string()
    {
        var reply = await Server.PostAsync("/_ml/anomaly_detectors/_estimate_model_memory", """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"max","field_name":"responsetime","by_field_name":"airline"}]},
             "overall_cardinality":{"airline":50000},"max_bucket_cardinality":{"airline":500}}
            """);

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Matches("^[0-9]+mb$", (string?)reply.Json!["model_memory_estimate"]);
    }

    [Fact]
    public async Task Ml_info_reports_defaults_and_limits()
    {
        var reply = await Server.GetAsync("/_ml/info");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var defaults = reply.Json!["defaults"]!["anomaly_detectors"]!;
        Assert.Equal("1gb", (string?)defaults["model_memory_limit"]);
        Assert.Equal(4, (int)defaults["categorization_examples_limit"]!);
        Assert.Equal(10, (int)defaults["model_snapshot_retention_days"]!);
        Assert.Equal("ml_standard", (string?)defaults["categorization_analyzer"]!["tokenizer"]);
        Assert.Equal(1000, (int)reply.Json!["defaults"]!["datafeeds"]!["scroll_size"]!);
        Assert.False((bool)reply.Json!["upgrade_mode"]!);
        Assert.Matches("^[0-9]+mb$", (string?)reply.Json!["limits"]!["effective_max_model_memory_limit"]);
    }

    [Fact]
    public async Task Legacy_xpack_prefix_routes_to_the_same_handlers()
    {
        await Jobs.CreateAsync(Server, "xpack-job");

        var reply = await Server.GetAsync("/_xpack/ml/anomaly_detectors/xpack-job");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("xpack-job", (string?)reply.Json!["jobs"]![0]!["job_id"]);
    }

    [Fact]
    public async Task Official_client_request_shapes_round_trip()
    {
        // The JavaScript client sends vendor media types on every request and NDJSON with the x-ndjson form.
        using var put = new HttpRequestMessage(HttpMethod.Put, "/_ml/anomaly_detectors/client-job")
        {
            Content = new StringContent(Jobs.Farequote, Encoding.UTF8),
        };
        put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.elasticsearch+json; compatible-with=8");
        put.Headers.TryAddWithoutValidation("Accept", "application/vnd.elasticsearch+json; compatible-with=8");
        using var putResponse = await Server.Client.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, putResponse.StatusCode);
        Assert.Equal("Elasticsearch", putResponse.Headers.GetValues("X-Elastic-Product").Single());

        using var open = new HttpRequestMessage(HttpMethod.Post, "/_ml/anomaly_detectors/client-job/_open")
        {
            Content = new StringContent("""{"timeout":"30s"}""", Encoding.UTF8),
        };
        open.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.elasticsearch+json; compatible-with=8");
        using var openResponse = await Server.Client.SendAsync(open);
        Assert.Equal(HttpStatusCode.OK, openResponse.StatusCode);

        var get = await Server.GetAsync("/_ml/anomaly_detectors/client-job");
        var job = get.Json!["jobs"]![0]!;
        Assert.Equal("1h", (string?)job["analysis_config"]!["bucket_span"]);
        Assert.Equal("mean(responsetime) by airline", (string?)job["analysis_config"]!["detectors"]![0]!["detector_description"]);

        using var close = new HttpRequestMessage(HttpMethod.Post, "/_ml/anomaly_detectors/client-job/_close")
        {
            Content = new StringContent("""{"force":true}""", Encoding.UTF8),
        };
        close.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.elasticsearch+json; compatible-with=9");
        close.Headers.TryAddWithoutValidation("Accept", "application/vnd.elasticsearch+json; compatible-with=9");
        using var closeResponse = await Server.Client.SendAsync(close);
        Assert.Equal(HttpStatusCode.OK, closeResponse.StatusCode);
    }
}
