using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class ProtocolTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Root_answers_like_elasticsearch_root_info_with_product_header()
    {
        var reply = await Server.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("Elasticsearch", reply.Headers.GetValues("X-Elastic-Product").Single());
        Assert.Equal("application/json", reply.ContentHeaders.ContentType?.MediaType);
        var json = reply.Json!;
        Assert.Equal("test-node", (string?)json["name"]);
        Assert.False(string.IsNullOrEmpty((string?)json["cluster_name"]));
        Assert.False(string.IsNullOrEmpty((string?)json["cluster_uuid"]));
        Assert.Equal("8.19.0", (string?)json["version"]!["number"]);
        Assert.Equal("default", (string?)json["version"]!["build_flavor"]);
        Assert.False((bool)json["version"]!["build_snapshot"]!);
        Assert.NotNull(json["version"]!["lucene_version"]);
        Assert.NotNull(json["version"]!["minimum_wire_compatibility_version"]);
        Assert.NotNull(json["version"]!["minimum_index_compatibility_version"]);
        Assert.Equal("You Know, for Search", (string?)json["tagline"]);
    }

    [Fact]
    public async Task Head_root_answers_200_without_body()
    {
        var reply = await Server.SendAsync(HttpMethod.Head, "/");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("", reply.Text);
        Assert.Equal("Elasticsearch", reply.Headers.GetValues("X-Elastic-Product").Single());
    }

    [Fact]
    public async Task Unknown_path_answers_400_no_handler_found()
    {
        var reply = await Server.GetAsync("/_nothing/here");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("no handler found for uri [/_nothing/here] and method [GET]", (string?)reply.Json!["error"]);
        Assert.Equal(400, (int)reply.Json!["status"]!);
        Assert.Equal("Elasticsearch", reply.Headers.GetValues("X-Elastic-Product").Single());
    }

    [Fact]
    public async Task Wrong_method_on_known_path_answers_405_with_allowed_methods()
    {
        var reply = await Server.SendAsync(HttpMethod.Delete, "/");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, reply.Status);
        Assert.Equal("Incorrect HTTP method for uri [/] and method [DELETE], allowed: [GET, HEAD]", (string?)reply.Json!["error"]);
    }

    [Fact]
    public async Task Unrecognized_parameter_is_rejected_with_suggestion()
    {
        var reply = await Server.GetAsync("/_ml/memory/_stats?timout=1s&bogus=1");

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("illegal_argument_exception", reply.ErrorType);
        Assert.Equal("request [/_ml/memory/_stats] contains unrecognized parameters: [timout] -> did you mean [timeout]?, [bogus]", reply.ErrorReason);
        Assert.Equal("illegal_argument_exception", (string?)reply.Json!["error"]!["root_cause"]![0]!["type"]);
    }

    [Fact]
    public async Task Pretty_indents_and_filter_path_filters_any_response()
    {
        var pretty = await Server.GetAsync("/?pretty");
        Assert.Contains("\n  \"name\"", pretty.Text, StringComparison.Ordinal);

        var filtered = await Server.GetAsync("/?filter_path=version.number,tagline");
        Assert.Equal("{\"version\":{\"number\":\"8.19.0\"},\"tagline\":\"You Know, for Search\"}", filtered.Text);

        var wildcard = await Server.GetAsync("/_ml/memory/_stats?filter_path=nodes.*.mem.ml.max_in_bytes");
        var nodes = wildcard.Json!["nodes"]!.AsObject();
        Assert.Single(nodes);
        Assert.True((long)nodes.First().Value!["mem"]!["ml"]!["max_in_bytes"]! > 0);
        Assert.Null(nodes.First().Value!["name"]);

        var excluded = await Server.GetAsync("/?filter_path=-version,-tagline");
        Assert.Null(excluded.Json!["version"]);
        Assert.Null(excluded.Json!["tagline"]);
        Assert.NotNull(excluded.Json!["name"]);

        var none = await Server.GetAsync("/?filter_path=nothing.matches");
        Assert.Equal("{}", none.Text);
    }

    [Fact]
    public async Task Unsupported_content_type_with_body_answers_406()
    {
        var reply = await Server.SendAsync(HttpMethod.Get, "/_ml/memory/_stats", "{}", "text/plain");

        Assert.Equal(HttpStatusCode.NotAcceptable, reply.Status);
        Assert.Equal("Content-Type header [text/plain] is not supported", (string?)reply.Json!["error"]);
    }

    [Theory]
    [InlineData("application/vnd.elasticsearch+json; compatible-with=7")]
    [InlineData("application/vnd.elasticsearch+json; compatible-with=8")]
    [InlineData("application/vnd.elasticsearch+json; compatible-with=9")]
    public async Task Vendor_media_types_are_accepted_and_echoed(string mediaType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", mediaType);
        using var response = await Server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var version = mediaType[^1];
        Assert.Equal("application/vnd.elasticsearch+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"compatible-with={version}", response.Content.Headers.ContentType!.Parameters.Single().ToString());
    }

    [Fact]
    public async Task Unsupported_compatible_version_is_a_media_type_header_exception()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.elasticsearch+json; compatible-with=6");
        using var response = await Server.Client.SendAsync(request);
        var reply = await EsReply.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("media_type_header_exception", reply.ErrorType);
        Assert.Equal("Invalid media-type value on headers [Accept, Content-Type]", reply.ErrorReason);
        Assert.Equal("status_exception", (string?)reply.Json!["error"]!["caused_by"]!["type"]);
        Assert.StartsWith("Accept version must be either version 9, 8 or 7, but found 6.", (string?)reply.Json!["error"]!["caused_by"]!["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mismatched_accept_and_content_type_versions_are_rejected()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_ml/memory/_stats");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.elasticsearch+json; compatible-with=8");
        request.Content = new StringContent("{}", Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/vnd.elasticsearch+json; compatible-with=7");
        using var response = await Server.Client.SendAsync(request);
        var reply = await EsReply.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
        Assert.Equal("media_type_header_exception", reply.ErrorType);
    }

    [Fact]
    public async Task Memory_stats_reports_the_node_as_elasticsearch_does_with_no_jobs()
    {
        foreach (var path in new[] { "/_ml/memory/_stats", "/_ml/memory/ml:true/_stats", "/_ml/memory/_all/_stats" })
        {
            var reply = await Server.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            var json = reply.Json!;
            Assert.Equal(1, (int)json["_nodes"]!["total"]!);
            Assert.Equal(1, (int)json["_nodes"]!["successful"]!);
            Assert.Equal(0, (int)json["_nodes"]!["failed"]!);
            Assert.False(string.IsNullOrEmpty((string?)json["cluster_name"]));
            var node = json["nodes"]!.AsObject().Single().Value!;
            Assert.Equal("test-node", (string?)node["name"]);
            Assert.False(string.IsNullOrEmpty((string?)node["ephemeral_id"]));
            Assert.StartsWith("127.0.0.1:", (string?)node["transport_address"], StringComparison.Ordinal);
            Assert.NotEmpty(node["attributes"]!.AsObject());
            Assert.Contains("ml", node["roles"]!.AsArray().Select(r => (string?)r));
            Assert.True((long)node["mem"]!["total_in_bytes"]! > 0);
            Assert.True((long)node["mem"]!["adjusted_total_in_bytes"]! > 0);
            Assert.True((long)node["mem"]!["ml"]!["max_in_bytes"]! > 0);
            Assert.Equal(0, (long)node["mem"]!["ml"]!["native_code_overhead_in_bytes"]!);
            Assert.Equal(0, (long)node["mem"]!["ml"]!["anomaly_detectors_in_bytes"]!);
            Assert.Equal(0, (long)node["mem"]!["ml"]!["data_frame_analytics_in_bytes"]!);
            Assert.Equal(0, (long)node["mem"]!["ml"]!["native_inference_in_bytes"]!);
            Assert.True((long)node["jvm"]!["heap_max_in_bytes"]! > 0);
            Assert.True((long)node["jvm"]!["java_inference_max_in_bytes"]! > 0);
            Assert.Equal(0, (long)node["jvm"]!["java_inference_in_bytes"]!);
            Assert.Null(node["mem"]!["total"]);
        }
    }

    [Fact]
    public async Task Memory_stats_with_human_adds_readable_sizes_before_byte_fields()
    {
        var reply = await Server.GetAsync("/_ml/memory/_stats?human");
        var node = reply.Json!["nodes"]!.AsObject().Single().Value!;
        Assert.Equal("0b", (string?)node["mem"]!["ml"]!["anomaly_detectors"]);
        Assert.Matches("^[0-9.]+(b|kb|mb|gb|tb)$", (string?)node["mem"]!["total"]);
        Assert.True(reply.Text.IndexOf("\"total\":", StringComparison.Ordinal) < reply.Text.IndexOf("\"total_in_bytes\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Memory_stats_for_an_unknown_node_selects_nothing()
    {
        var reply = await Server.GetAsync("/_ml/memory/no-such-node/_stats");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(0, (int)reply.Json!["_nodes"]!["total"]!);
        Assert.Empty(reply.Json!["nodes"]!.AsObject());
    }
}
