using System.Net;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public async Task Jobs_and_counts_survive_a_restart_unchanged()
    {
        await using var server = await VigilTestServer.StartAsync();
        await Jobs.CreateAsync(server, "persist-closed");
        await Jobs.CreateOpenAsync(server, "persist-open");
        var posted = await Jobs.PostDataAsync(server, "persist-open",
            "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":132.2}\n{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":140.1}\n");
        Assert.Equal(HttpStatusCode.Accepted, posted.Status);
        var before = (await server.GetAsync("/_ml/anomaly_detectors/persist-closed")).Json!["jobs"]![0]!.ToJsonString();

        await server.RestartAsync();

        var after = (await server.GetAsync("/_ml/anomaly_detectors/persist-closed")).Json!["jobs"]![0]!.ToJsonString();
        Assert.Equal(before, after);
        var stats = (await server.GetAsync("/_ml/anomaly_detectors/persist-open/_stats")).Json!["jobs"]![0]!;
        Assert.Equal("opened", (string?)stats["state"]);
        Assert.Equal(2, (int)stats["data_counts"]!["processed_record_count"]!);
        Assert.Equal(1, (int)stats["timing_stats"]!["bucket_count"]!);

        // The reopened job carries on: the next record finalizes the second bucket.
        await Jobs.PostDataAsync(server, "persist-open", "{\"time\":1403488800,\"airline\":\"AAL\",\"responsetime\":150}\n");
        var flush = await server.PostAsync("/_ml/anomaly_detectors/persist-open/_flush");
        Assert.Equal(1403488800000, (long)flush.Json!["last_finalized_bucket_end"]!);
        var close = await server.PostAsync("/_ml/anomaly_detectors/persist-open/_close");
        Assert.Equal(HttpStatusCode.OK, close.Status);

        await server.RestartAsync();

        var closedStats = (await server.GetAsync("/_ml/anomaly_detectors/persist-open/_stats")).Json!["jobs"]![0]!;
        Assert.Equal("closed", (string?)closedStats["state"]);
        Assert.Equal(3, (int)closedStats["data_counts"]!["processed_record_count"]!);
        Assert.Equal(2, (int)closedStats["timing_stats"]!["bucket_count"]!);
        Assert.NotNull((await server.GetAsync("/_ml/anomaly_detectors/persist-open")).Json!["jobs"]![0]!["finished_time"]);
    }
}
