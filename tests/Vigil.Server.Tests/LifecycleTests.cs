using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class LifecycleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private VigilTestServer Server => fixture.Server;

    private async Task<JsonNode> StatsAsync(string job) =>
        (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;

    [Fact]
    public async Task Open_reports_the_node_and_stats_show_opened_with_node_and_open_time()
    {
        await Jobs.CreateAsync(Server, "open-job");
        var node = (await Server.GetAsync("/_ml/memory/_stats")).Json!["nodes"]!.AsObject().Single().Key;

        var open = await Server.PostAsync("/_ml/anomaly_detectors/open-job/_open");

        Assert.Equal(HttpStatusCode.OK, open.Status);
        Assert.True((bool)open.Json!["opened"]!);
        Assert.Equal(node, (string?)open.Json!["node"]);
        var stats = await StatsAsync("open-job");
        Assert.Equal("opened", (string?)stats["state"]);
        Assert.Equal(node, (string?)stats["node"]!["id"]);
        Assert.Equal("test-node", (string?)stats["node"]!["name"]);
        Assert.False(string.IsNullOrEmpty((string?)stats["node"]!["transport_address"]));
        Assert.False(string.IsNullOrEmpty((string?)stats["node"]!["attributes"]!["ml.machine_memory"]));
        Assert.Matches("^[0-9]+s$", (string?)stats["open_time"]);
        Assert.Equal("", (string?)stats["assignment_explanation"]);
        Assert.Equal(0, (long)stats["timing_stats"]!["bucket_count"]!);
        Assert.Null(stats["timing_stats"]!["minimum_bucket_processing_time_ms"]);
        Assert.Equal(0, (long)stats["model_size_stats"]!["model_bytes"]!); // jobs_get_stats.yml: an opened job never fed
        Assert.Null((await Server.GetAsync("/_ml/anomaly_detectors/open-job")).Json!["jobs"]![0]!["finished_time"]);

        var memory = (await Server.GetAsync("/_ml/memory/_stats")).Json!["nodes"]!.AsObject().Single().Value!["mem"]!["ml"]!;
        Assert.True((long)memory["anomaly_detectors_in_bytes"]! >= (1024L + 10) * 1024 * 1024);
        Assert.Equal(30L * 1024 * 1024, (long)memory["native_code_overhead_in_bytes"]!);
        await Server.PostAsync("/_ml/anomaly_detectors/open-job/_close");
    }

    [Fact]
    public async Task Open_twice_is_a_conflict_and_open_unknown_is_not_found()
    {
        await Jobs.CreateOpenAsync(Server, "open-twice");

        var again = await Server.PostAsync("/_ml/anomaly_detectors/open-twice/_open");
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("status_exception", again.ErrorType);
        Assert.Equal("Cannot open job [open-twice] because it has already been opened", again.ErrorReason);

        var unknown = await Server.PostAsync("/_ml/anomaly_detectors/no-such-open/_open");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("No known job with id 'no-such-open'", unknown.ErrorReason);
        await Server.PostAsync("/_ml/anomaly_detectors/open-twice/_close");
    }

    [Fact]
    public async Task Close_is_idempotent_and_sets_finished_time_and_reopen_clears_it()
    {
        await Jobs.CreateOpenAsync(Server, "close-job");

        Assert.True((bool)(await Server.PostAsync("/_ml/anomaly_detectors/close-job/_close")).Json!["closed"]!);
        Assert.True((bool)(await Server.PostAsync("/_ml/anomaly_detectors/close-job/_close")).Json!["closed"]!);
        Assert.True((bool)(await Server.PostAsync("/_ml/anomaly_detectors/close-job/_close?force=true")).Json!["closed"]!);

        var stats = await StatsAsync("close-job");
        Assert.Equal("closed", (string?)stats["state"]);
        Assert.Null(stats["node"]);
        Assert.Null(stats["open_time"]);
        Assert.Null(stats["assignment_explanation"]);
        Assert.NotNull((await Server.GetAsync("/_ml/anomaly_detectors/close-job")).Json!["jobs"]![0]!["finished_time"]);

        await Server.PostAsync("/_ml/anomaly_detectors/close-job/_open");
        Assert.Null((await Server.GetAsync("/_ml/anomaly_detectors/close-job")).Json!["jobs"]![0]!["finished_time"]);
        await Server.PostAsync("/_ml/anomaly_detectors/close-job/_close");
    }

    [Fact]
    public async Task Close_accepts_expressions_and_follows_allow_no_match()
    {
        await Jobs.CreateOpenAsync(Server, "closeexpr-a");
        await Jobs.CreateOpenAsync(Server, "closeexpr-b");

        var wildcard = await Server.PostAsync("/_ml/anomaly_detectors/closeexpr-*/_close");
        Assert.Equal(HttpStatusCode.OK, wildcard.Status);
        Assert.Equal("closed", (string?)(await StatsAsync("closeexpr-a"))["state"]);
        Assert.Equal("closed", (string?)(await StatsAsync("closeexpr-b"))["state"]);

        var noMatch = await Server.PostAsync("/_ml/anomaly_detectors/missing-*/_close");
        Assert.True((bool)noMatch.Json!["closed"]!);
        var refused = await Server.PostAsync("/_ml/anomaly_detectors/missing-*/_close?allow_no_match=false");
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        var bodyParam = await Server.PostAsync("/_ml/anomaly_detectors/missing-*/_close", """{"allow_no_match":false}""");
        Assert.Equal(HttpStatusCode.NotFound, bodyParam.Status);
        var unknown = await Server.PostAsync("/_ml/anomaly_detectors/no-such-close/_close");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        var badBody = await Server.PostAsync("/_ml/anomaly_detectors/closeexpr-a/_close", """{"bogus":true}""");
        Assert.Equal(HttpStatusCode.BadRequest, badBody.Status);
        Assert.Equal("x_content_parse_exception", badBody.ErrorType);
    }

    [Fact]
    public async Task Flush_on_a_job_that_is_not_open_is_a_conflict()
    {
        await Jobs.CreateAsync(Server, "flush-closed");

        var reply = await Server.PostAsync("/_ml/anomaly_detectors/flush-closed/_flush");

        Assert.Equal(HttpStatusCode.Conflict, reply.Status);
        Assert.Equal("Cannot perform requested action because job [flush-closed] is not open", reply.ErrorReason);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.PostAsync("/_ml/anomaly_detectors/flush-unknown/_flush")).Status);
    }

    [Fact]
    public async Task Bad_input_fails_the_job_and_corrected_data_brings_it_back()
    {
        var job = await Jobs.CreateOpenAsync(Server, "bad-input-job");
        var bad = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            bad.Append("{\"time\":\"garbage\",\"airline\":\"AAL\",\"responsetime\":1}\n");
        }

        var failedUpload = await Jobs.PostDataAsync(Server, job, bad.ToString());
        Assert.Equal(HttpStatusCode.BadRequest, failedUpload.Status);
        Assert.Equal("status_exception", failedUpload.ErrorType);
        var stats = await StatsAsync(job);
        Assert.Equal("failed", (string?)stats["state"]);
        Assert.Contains("timestamp that cannot be interpreted", (string?)stats["assignment_explanation"], StringComparison.Ordinal);
        Assert.Equal(200, (long)stats["data_counts"]!["invalid_date_count"]!);

        var close = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
        Assert.Equal(HttpStatusCode.Conflict, close.Status);
        Assert.Equal($"cannot close job [{job}] because it failed, use force close", close.ErrorReason);

        var corrected = await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");
        Assert.Equal(HttpStatusCode.Accepted, corrected.Status);
        Assert.Equal("opened", (string?)(await StatsAsync(job))["state"]);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task A_failed_job_can_be_force_closed_and_reopened()
    {
        var job = await Jobs.CreateOpenAsync(Server, "force-failed-job");
        var bad = string.Concat(Enumerable.Repeat("{\"airline\":\"AAL\"}\n", 150));
        await Jobs.PostDataAsync(Server, job, bad);
        Assert.Equal("failed", (string?)(await StatsAsync(job))["state"]);

        var close = await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close?force=true");
        Assert.True((bool)close.Json!["closed"]!);
        Assert.Equal("closed", (string?)(await StatsAsync(job))["state"]);
        Assert.Equal(HttpStatusCode.OK, (await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_open")).Status);
        Assert.Equal("opened", (string?)(await StatsAsync(job))["state"]);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task A_job_too_big_for_the_node_is_refused_unless_it_may_open_lazily()
    {
        const string big = """{"analysis_config":{"detectors":[{"function":"count"}]},"analysis_limits":{"model_memory_limit":"3000g"},"data_description":{}""";
        await Jobs.CreateAsync(Server, "too-big-job", big + "}");
        var refused = await Server.PostAsync("/_ml/anomaly_detectors/too-big-job/_open");
        Assert.Equal((HttpStatusCode)429, refused.Status);
        Assert.Equal("status_exception", refused.ErrorType);
        Assert.Equal("Could not open job because no ML nodes with sufficient capacity were found", refused.ErrorReason);
        Assert.Equal("illegal_state_exception", (string?)refused.Json!["error"]!["caused_by"]!["type"]);
        Assert.Equal("closed", (string?)(await StatsAsync("too-big-job"))["state"]);

        // jobs_crud.yml: with allow_lazy_open the job opens unassigned and stays opening.
        var created = await Server.PutAsync("/_ml/anomaly_detectors/lazy-job", big + ",\"allow_lazy_open\":true}");
        Assert.Equal("3072000mb", (string?)created.Json!["analysis_limits"]!["model_memory_limit"]);
        var open = await Server.PostAsync("/_ml/anomaly_detectors/lazy-job/_open");
        Assert.True((bool)open.Json!["opened"]!);
        Assert.Equal("", (string?)open.Json!["node"]);
        var stats = await StatsAsync("lazy-job");
        Assert.Equal("opening", (string?)stats["state"]);
        Assert.Null(stats["node"]);
        Assert.Contains("insufficient available memory", (string?)stats["assignment_explanation"], StringComparison.Ordinal);
        Assert.True((bool)(await Server.PostAsync("/_ml/anomaly_detectors/lazy-job/_close")).Json!["closed"]!);
        Assert.Equal("closed", (string?)(await StatsAsync("lazy-job"))["state"]);
    }

    [Fact]
    public async Task Stats_for_a_never_fed_job_and_for_expressions()
    {
        await Jobs.CreateAsync(Server, "statsexpr-b");
        await Jobs.CreateAsync(Server, "statsexpr-a");

        var reply = await Server.GetAsync("/_ml/anomaly_detectors/statsexpr-*/_stats");
        Assert.Equal(2, (int)reply.Json!["count"]!);
        var first = reply.Json!["jobs"]![0]!;
        Assert.Equal("statsexpr-a", (string?)first["job_id"]);
        Assert.Equal(0, (long)first["data_counts"]!["processed_record_count"]!);
        Assert.Equal(0, (long)first["model_size_stats"]!["model_bytes"]!);
        Assert.Equal("ok", (string?)first["model_size_stats"]!["memory_status"]);
        Assert.Equal(0, (long)first["timing_stats"]!["bucket_count"]!);
        Assert.Equal("closed", (string?)first["state"]);

        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/anomaly_detectors/stats-none/_stats")).Status);
        Assert.Equal(0, (int)(await Server.GetAsync("/_ml/anomaly_detectors/stats-none-*/_stats")).Json!["count"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/anomaly_detectors/stats-none-*/_stats?allow_no_match=false")).Status);
    }

    [Fact]
    public async Task Stats_with_human_adds_timestamp_strings()
    {
        var job = await Jobs.CreateOpenAsync(Server, "human-job");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");

        var counts = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats?human")).Json!["jobs"]![0]!["data_counts"]!;

        Assert.Equal("2014-06-23T00:00:00.000Z", (string?)counts["earliest_record_timestamp_string"]);
        Assert.Equal(1403481600000, (long)counts["earliest_record_timestamp"]!);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }
}
