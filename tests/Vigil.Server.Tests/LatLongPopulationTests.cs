using System.Globalization;
using System.Net;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class LatLongPopulationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z

    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Lat_long_over_user_job_reports_the_user_logging_in_far_away_with_es_record_fields()
    {
        const string Job = "lat-long-over-user";
        var anomalyStart = Start + (60 * 3600L);
        await Jobs.CreateOpenAsync(Server, Job,
            """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"lat_long","field_name":"location","over_field_name":"user"}],
             "influencers":["user"]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);

        // 30 users living around Paris log in every 10 minutes near home for 3 days; in hour 60, u7 logs in from Sydney.
        var random = new Random(47);
        var homeLat = new double[30];
        var homeLon = new double[30];
        for (var u = 0; u < 30; u++)
        {
            homeLat[u] = 48.85 + ((random.NextDouble() - 0.5) * 0.8);
            homeLon[u] = 2.35 + ((random.NextDouble() - 0.5) * 0.8);
        }

        var sb = new StringBuilder();
        for (var t = Start; t < Start + (3 * 86400L); t += 600)
        {
            for (var u = 0; u < 30; u++)
            {
                var away = u == 7 && t >= anomalyStart && t < anomalyStart + 3600;
                var location = away
                    ? "-33.9,151.2"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{homeLat[u] + ((random.NextDouble() - 0.5) * 0.02):F5},{homeLon[u] + ((random.NextDouble() - 0.5) * 0.02):F5}");
                sb.Append("{\"time\":").Append(t).Append(",\"user\":\"u").Append(u).Append("\",\"location\":\"").Append(location).Append("\"}\n");
            }
        }

        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(Server, Job, sb.ToString())).Status);
        await Server.PostAsync($"/_ml/anomaly_detectors/{Job}/_close");

        var reply = await Server.GetAsync($"/_ml/anomaly_detectors/{Job}/results/records?size=1");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        var top = reply.Json!["records"]![0]!.AsObject();
        Assert.Equal(anomalyStart * 1000, (long)top["timestamp"]!);
        Assert.Equal("record", (string?)top["result_type"]);
        Assert.Equal("lat_long", (string?)top["function"]);
        Assert.Equal("lat_long", (string?)top["function_description"]);
        Assert.Equal("location", (string?)top["field_name"]);
        Assert.Equal("user", (string?)top["over_field_name"]);
        Assert.Equal("u7", (string?)top["over_field_value"]);
        Assert.Equal("u7", (string?)top["user"]![0]);
        Assert.True((double)top["record_score"]! > 50, top.ToJsonString());

        // Population record: the location is in the cause, not at the top.
        Assert.False(top.ContainsKey("actual"), top.ToJsonString());
        Assert.False(top.ContainsKey("typical"), top.ToJsonString());
        Assert.False(top.ContainsKey("geo_results"), top.ToJsonString());
        var cause = top["causes"]!.AsArray().Single()!.AsObject();
        Assert.Equal("u7", (string?)cause["over_field_value"]);
        Assert.Equal("user", (string?)cause["over_field_name"]);
        Assert.Equal("lat_long", (string?)cause["function"]);
        Assert.Equal("lat_long", (string?)cause["function_description"]);
        Assert.Equal("location", (string?)cause["field_name"]);
        Assert.Equal(-33.9, (double)cause["actual"]![0]!, 9);
        Assert.Equal(151.2, (double)cause["actual"]![1]!, 9);
        // Typical: the centre of a population cluster, so within the users' homes (48.85 ± 0.4, 2.35 ± 0.4).
        Assert.InRange((double)cause["typical"]![0]!, 48.45, 49.25);
        Assert.InRange((double)cause["typical"]![1]!, 1.95, 2.75);
        Assert.Equal("-33.900000000000,151.200000000000", (string?)cause["geo_results"]!["actual_point"]);

        // Elasticsearch's AnomalyCause field order.
        Assert.Equal(
            ["probability", "function", "function_description", "typical", "actual", "field_name", "over_field_name", "over_field_value",
                "geo_results"],
            cause.Select(p => p.Key).ToArray());
    }
}
