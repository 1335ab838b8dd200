using System.Globalization;
using System.Net;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class FrequencyFeatureTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z

    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Freq_rare_job_opens_and_reports_the_client_hammering_a_rare_uri()
    {
        var anomalyStart = Start + (((8 * 24) + 6) * 3600L);
        var job = await RunJobAsync("freq-rare",
            """{"bucket_span":"1h","detectors":[{"function":"freq_rare","by_field_name":"uri","over_field_name":"clientip"}],"influencers":["clientip"]}""",
            (t, random) =>
            {
                var records = new List<string>();
                for (var c = 0; c < 30; c++)
                {
                    records.Add(string.Create(CultureInfo.InvariantCulture, $"\"clientip\":\"10.0.0.{c}\",\"uri\":\"/page/{random.Next(8)}\""));
                }

                if (t == anomalyStart)
                {
                    for (var i = 0; i < 30; i++)
                    {
                        records.Add("\"clientip\":\"10.0.0.7\",\"uri\":\"/admin/secret\"");
                    }
                }

                return records;
            });

        var top = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=1")).Json!["records"]![0]!;
        Assert.Equal("10.0.0.7", (string?)top["over_field_value"]);
        Assert.Equal("freq_rare", (string?)top["function"]);
        Assert.Equal("rare", (string?)top["function_description"]);
        Assert.Equal(anomalyStart * 1000, (long)top["timestamp"]!);
        var cause = top["causes"]![0]!;
        Assert.Equal("/admin/secret", (string?)cause["by_field_value"]);
        Assert.Equal("freq_rare", (string?)cause["function"]);
        Assert.Equal(30.0, (double)cause["actual"]![0]!);
        Assert.True((double)top["probability"]! < 0.01, top.ToJsonString());
    }

    [Fact]
    public async Task Exclude_frequent_by_job_opens_and_never_reports_the_status_seen_in_every_bucket()
    {
        var anomalyStart = Start + (((8 * 24) + 3) * 3600L);
        var job = await RunJobAsync("exclude-frequent-by",
            """{"bucket_span":"1h","detectors":[{"function":"high_count","by_field_name":"status","exclude_frequent":"by"}]}""",
            (t, random) =>
            {
                var records = new List<string>();
                var spike = t >= anomalyStart && t < anomalyStart + 3600;
                var ok = 3 + random.Next(3) + (spike ? 60 : 0);
                for (var i = 0; i < ok; i++)
                {
                    records.Add("\"status\":\"200\"");
                }

                // 503 shows up in about one hour in 25.
                var errors = spike ? 60 : random.Next(150) == 0 ? 3 : 0;
                for (var i = 0; i < errors; i++)
                {
                    records.Add("\"status\":\"503\"");
                }

                return records;
            });

        var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray();
        Assert.NotEmpty(records);
        Assert.Equal("503", (string?)records[0]!["by_field_value"]);
        Assert.Equal(anomalyStart * 1000, (long)records[0]!["timestamp"]!);
        Assert.DoesNotContain(records, r => (string?)r!["by_field_value"] == "200");
    }

    /// <summary>Creates and opens a job, posts generated records (every 10 minutes for 10 days) and closes it.</summary>
    private async Task<string> RunJobAsync(string id, string analysisConfig, Func<long, Random, IEnumerable<string>> recordsAt)
    {
        await Jobs.CreateOpenAsync(Server, id, "{\"analysis_config\":" + analysisConfig + ",\"data_description\":{\"time_field\":\"time\",\"time_format\":\"epoch\"}}");
        var random = new Random(31);
        var sb = new StringBuilder();
        for (var t = Start; t < Start + (10 * 86400L); t += 600)
        {
            foreach (var record in recordsAt(t, random))
            {
                sb.Append("{\"time\":").Append(t).Append(',').Append(record).Append("}\n");
            }
        }

        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(Server, id, sb.ToString())).Status);
        await Server.PostAsync($"/_ml/anomaly_detectors/{id}/_close");
        return id;
    }
}
