using System.Globalization;
using System.Net;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class ResultsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z

    private VigilTestServer Server => fixture.Server;

    /// <summary>
    /// Ten airlines, one record each per 10 minutes, for 10 days; airline AAL's response time jumps tenfold
    /// for one hour on day 8. Fixed seed.
    /// </summary>
    private static string Farequote(int days, int anomalyHour, int anomalyHours = 1)
    {
        var random = new Random(1234);
        var sb = new StringBuilder();
        for (var t = Start; t < Start + (days * 86400L); t += 600)
        {
            for (var a = 0; a < 10; a++)
            {
                var airline = a == 0 ? "AAL" : "A" + a.ToString(CultureInfo.InvariantCulture);
                var value = 100 + (a * 10) + (random.NextDouble() * 10);
                if (a == 0 && (t - Start) / 3600 >= anomalyHour && (t - Start) / 3600 < anomalyHour + anomalyHours)
                {
                    value *= 10;
                }

                sb.Append("{\"time\":").Append(t).Append(",\"airline\":\"").Append(airline)
                  .Append("\",\"responsetime\":").Append(value.ToString("F3", CultureInfo.InvariantCulture)).Append("}\n");
            }
        }

        return sb.ToString();
    }

    private async Task<string> AnomalousJobAsync(string id)
    {
        await Jobs.CreateOpenAsync(Server, id, """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline"}],
              "influencers":["airline"]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);
        var reply = await Jobs.PostDataAsync(Server, id, Farequote(10, anomalyHour: (8 * 24) + 5));
        Assert.Equal(HttpStatusCode.Accepted, reply.Status);
        await Server.PostAsync($"/_ml/anomaly_detectors/{id}/_close");
        return id;
    }

    [Fact]
    public async Task An_injected_anomaly_is_the_top_record_and_bucket_and_influencer()
    {
        var job = await AnomalousJobAsync("results-anomaly");
        var anomalyTime = (Start + (((8 * 24) + 5) * 3600L)) * 1000;

        var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records")).Json!;
        Assert.True((int)records["count"]! >= 1);
        var top = records["records"]![0]!;
        Assert.Equal(anomalyTime, (long)top["timestamp"]!);
        Assert.Equal("AAL", (string?)top["by_field_value"]);
        Assert.Equal("airline", (string?)top["by_field_name"]);
        Assert.Equal("mean", (string?)top["function"]);
        Assert.Equal("responsetime", (string?)top["field_name"]);
        Assert.Equal("record", (string?)top["result_type"]);
        Assert.True((double)top["record_score"]! > 50, top.ToJsonString());
        Assert.True((double)top["probability"]! < 0.001);
        Assert.True((double)top["actual"]![0]! > 500);
        Assert.Equal(3600, (long)top["bucket_span"]!);

        var buckets = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets?sort=anomaly_score&desc=true&size=1")).Json!;
        Assert.Equal(anomalyTime, (long)buckets["buckets"]![0]!["timestamp"]!);
        Assert.True((double)buckets["buckets"]![0]!["anomaly_score"]! > 50);
        Assert.Equal(10, (long)buckets["buckets"]![0]!["event_count"]! / 6);

        var influencers = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/influencers")).Json!;
        var topInfluencer = influencers["influencers"]![0]!;
        Assert.Equal("airline", (string?)topInfluencer["influencer_field_name"]);
        Assert.Equal("AAL", (string?)topInfluencer["influencer_field_value"]);
        Assert.Equal(anomalyTime, (long)topInfluencer["timestamp"]!);

        // The injected anomaly stands well clear of anything the nine clean airlines produce.
        var clean = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray()
            .Where(r => (string?)r!["by_field_value"] != "AAL").Select(r => (double)r!["record_score"]!).DefaultIfEmpty(0).Max();
        Assert.True((double)top["record_score"]! > clean + 20, $"injected {(double)top["record_score"]!}, best clean {clean}");
    }

    [Fact]
    public async Task Clean_series_score_nothing_above_25_after_warm_up()
    {
        var job = await AnomalousJobAsync("results-clean");

        // Nine airlines are clean noise; after two days of warm-up none of them may reach a minor anomaly.
        var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?record_score=25&size=10000&start={Start + (2 * 86400)}")).Json!;
        foreach (var r in records["records"]!.AsArray())
        {
            Assert.True("AAL" == (string?)r!["by_field_value"], r.ToJsonString());
        }
    }

    /// <summary>Posts generated records (hourly buckets, 10 days) to a new job and closes it.</summary>
    private async Task<string> RunJobAsync(string id, string analysisConfig, Func<long, Random, IEnumerable<string>> recordsAt)
    {
        await Jobs.CreateOpenAsync(Server, id, "{\"analysis_config\":" + analysisConfig + ",\"data_description\":{\"time_field\":\"time\",\"time_format\":\"epoch\"}}");
        var random = new Random(99);
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

    [Fact]
    public async Task Count_partitioned_by_host_finds_the_host_whose_event_rate_jumps()
    {
        var anomalyStart = Start + (((8 * 24) + 3) * 3600L);
        var job = await RunJobAsync("results-count-partition",
            """{"bucket_span":"1h","detectors":[{"function":"high_count","partition_field_name":"host"}],"influencers":["host"]}""",
            (t, random) =>
            {
                var hosts = new List<string>();
                foreach (var host in new[] { "web-1", "web-2", "db-1" })
                {
                    var n = 2 + random.Next(3) + (host == "web-2" && t >= anomalyStart && t < anomalyStart + 3600 ? 40 : 0);
                    for (var i = 0; i < n; i++)
                    {
                        hosts.Add("\"host\":\"" + host + "\"");
                    }
                }

                return hosts;
            });

        var top = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=1")).Json!["records"]![0]!;
        Assert.Equal("web-2", (string?)top["partition_field_value"]);
        Assert.Equal("high_count", (string?)top["function"]);
        Assert.Equal(anomalyStart * 1000, (long)top["timestamp"]!);
        Assert.True((double)top["actual"]![0]! > 100);
    }

    [Fact]
    public async Task Population_analysis_finds_the_client_unlike_the_others()
    {
        var anomalyStart = Start + (((7 * 24) + 10) * 3600L);
        var job = await RunJobAsync("results-population",
            """{"bucket_span":"1h","detectors":[{"function":"high_sum","field_name":"bytes","over_field_name":"client"}]}""",
            (t, random) =>
            {
                var records = new List<string>();
                for (var c = 0; c < 20; c++)
                {
                    var bytes = 1000 + random.Next(200) + (c == 13 && t >= anomalyStart && t < anomalyStart + 3600 ? 50_000 : 0);
                    records.Add(string.Create(CultureInfo.InvariantCulture, $"\"client\":\"c{c}\",\"bytes\":{bytes}"));
                }

                return records;
            });

        var top = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=1")).Json!["records"]![0]!;
        Assert.Equal("c13", (string?)top["over_field_value"]);
        Assert.Equal("client", (string?)top["over_field_name"]);
        Assert.Equal(anomalyStart * 1000, (long)top["timestamp"]!);
        Assert.NotEmpty(top["causes"]!.AsArray());
    }

    [Fact]
    public async Task Rare_finds_a_value_never_seen_before()
    {
        var anomalyAt = Start + (((8 * 24) + 7) * 3600L);
        var job = await RunJobAsync("results-rare",
            """{"bucket_span":"1h","detectors":[{"function":"rare","by_field_name":"status"}]}""",
            (t, random) =>
            {
                var records = new List<string> { "\"status\":\"200\"", "\"status\":\"200\"", "\"status\":\"304\"" };
                if (random.Next(6) == 0)
                {
                    records.Add("\"status\":\"404\"");
                }

                if (t == anomalyAt)
                {
                    records.Add("\"status\":\"503\"");
                }

                return records;
            });

        var top = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=1")).Json!["records"]![0]!;
        Assert.Equal("503", (string?)top["by_field_value"]);
        Assert.Equal("rare", (string?)top["function"]);
        Assert.Equal(anomalyAt * 1000, (long)top["timestamp"]!);
    }

    [Fact]
    public async Task Skip_result_rules_drop_the_results_their_conditions_match()
    {
        const string job = "results-rules";
        await Jobs.CreateOpenAsync(Server, job, """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline",
              "custom_rules":[{"actions":["skip_result"],"conditions":[{"applies_to":"diff_from_typical","operator":"lt","value":300}]}]}]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);
        await Jobs.PostDataAsync(Server, job, Farequote(10, anomalyHour: (8 * 24) + 5));
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");

        var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray();

        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.True(Math.Abs((double)r!["actual"]![0]! - (double)r!["typical"]![0]!) >= 300, r!.ToJsonString()));
        Assert.Equal("AAL", (string?)records[0]!["by_field_value"]);
    }

    [Fact]
    public async Task Skip_model_update_rules_keep_an_injected_level_anomalous()
    {
        // AAL is ten times higher for three hours. Without the rule the model learns the level during the shift; with
        // skip_model_update on actual > 500 it does not, so the third hour is still as anomalous as the first.
        const string rule = """
            "custom_rules":[{"actions":["skip_model_update"],"conditions":[{"applies_to":"actual","operator":"gt","value":500}]}]
            """;
        var probabilities = new List<double>();
        foreach (var (job, rules) in new[] { ("results-skip-update", "," + rule), ("results-learns", "") })
        {
            await Jobs.CreateOpenAsync(Server, job, $$$"""
                {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline"{{{rules}}}}]},
                 "data_description":{"time_field":"time","time_format":"epoch"}}
                """);
            await Jobs.PostDataAsync(Server, job, Farequote(10, anomalyHour: (8 * 24) + 5, anomalyHours: 3));
            await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
            var third = (Start + (((8 * 24) + 7) * 3600L)) * 1000;
            var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray();
            var record = records.FirstOrDefault(r => (string?)r!["by_field_value"] == "AAL" && (long)r!["timestamp"]! == third);
            probabilities.Add(record is null ? 1.0 : (double)record["probability"]!);
        }

        Assert.True(probabilities[0] < 1e-6, $"with skip_model_update: {probabilities[0]}");
        Assert.True(probabilities[1] > 100 * probabilities[0], $"learning {probabilities[1]}, skipping {probabilities[0]}");
    }

    [Fact]
    public async Task Buckets_support_ranges_paging_sorting_single_timestamp_and_expand()
    {
        var job = await AnomalousJobAsync("results-buckets");
        var anomalyTime = (Start + (((8 * 24) + 5) * 3600L)) * 1000;

        var all = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets")).Json!;
        Assert.Equal(10 * 24 - 1, (int)all["count"]!); // the last bucket is not finalized by close
        Assert.Equal(100, all["buckets"]!.AsArray().Count);
        Assert.Equal(Start * 1000, (long)all["buckets"]![0]!["timestamp"]!);
        Assert.Equal("bucket", (string?)all["buckets"]![0]!["result_type"]);
        Assert.Null(all["buckets"]![0]!["records"]);

        var range = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets?start={Start + 3600}&end={Start + (3 * 3600)}")).Json!;
        Assert.Equal(2, (int)range["count"]!);

        var paged = (await Server.PostAsync($"/_ml/anomaly_detectors/{job}/results/buckets", """{"page":{"from":5,"size":3}}""")).Json!;
        Assert.Equal(10 * 24 - 1, (int)paged["count"]!);
        Assert.Equal(3, paged["buckets"]!.AsArray().Count);
        Assert.Equal((Start + (5 * 3600)) * 1000, (long)paged["buckets"]![0]!["timestamp"]!);

        var single = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets/{anomalyTime}?expand=true")).Json!;
        Assert.Equal(1, (int)single["count"]!);
        var records = single["buckets"]![0]!["records"]!.AsArray();
        Assert.NotEmpty(records);
        Assert.Equal("AAL", (string?)records[0]!["by_field_value"]);

        var human = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets?size=1&human")).Json!;
        Assert.Equal("2014-06-23T00:00:00.000Z", (string?)human["buckets"]![0]!["timestamp_string"]);

        var scored = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets?anomaly_score=50")).Json!;
        Assert.Contains(scored["buckets"]!.AsArray(), b => (long)b!["timestamp"]! == anomalyTime);
        Assert.All(scored["buckets"]!.AsArray(), b => Assert.True((double)b!["anomaly_score"]! >= 50));
    }

    [Fact]
    public async Task Result_requests_are_validated_as_elasticsearch_does()
    {
        await Jobs.CreateAsync(Server, "results-validate");

        var withStart = await Server.GetAsync("/_ml/anomaly_detectors/results-validate/results/buckets/1403481600000?start=1");
        Assert.Equal(HttpStatusCode.BadRequest, withStart.Status);
        Assert.Equal("Param [start] is incompatible with [timestamp].", withStart.ErrorReason);

        var unknownJob = await Server.GetAsync("/_ml/anomaly_detectors/results-none/results/records");
        Assert.Equal(HttpStatusCode.NotFound, unknownJob.Status);

        var unknownField = await Server.PostAsync("/_ml/anomaly_detectors/results-validate/results/buckets", """{"bogus":1}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.Status);
        Assert.Equal("x_content_parse_exception", unknownField.ErrorType);
        Assert.Contains("[cluster:monitor/xpack/ml/job/results/buckets/get] unknown field [bogus]", unknownField.ErrorReason, StringComparison.Ordinal);

        var topN = await Server.GetAsync("/_ml/anomaly_detectors/results-validate/results/overall_buckets?top_n=0");
        Assert.Equal(HttpStatusCode.BadRequest, topN.Status);
        Assert.Equal("[topN] parameter must be positive, found [0]", topN.ErrorReason);

        var span = await Server.GetAsync("/_ml/anomaly_detectors/results-validate/results/overall_buckets?bucket_span=1m");
        Assert.Equal(HttpStatusCode.BadRequest, span.Status);
        Assert.Equal("Param [bucket_span] must be greater or equal to the max bucket_span [1h]", span.ErrorReason);

        var badSort = await Server.GetAsync("/_ml/anomaly_detectors/results-validate/results/records?sort=bad'field");
        Assert.Equal(HttpStatusCode.BadRequest, badSort.Status);
        Assert.Equal("No mapping found for [bad'field] in order to sort on", badSort.ErrorReason);

        foreach (var body in new[] { "{", "[]", "\"x\"", "{\"page\":", "nul" })
        {
            var malformed = await Server.PostAsync("/_ml/anomaly_detectors/results-validate/results/buckets", body);
            Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        }

        var empty = (await Server.GetAsync("/_ml/anomaly_detectors/results-validate/results/buckets")).Json!;
        Assert.Equal(0, (int)empty["count"]!);
    }

    [Fact]
    public async Task Skipped_buckets_have_no_results_as_in_post_data_yml()
    {
        var job = await Jobs.CreateOpenAsync(Server, "results-skip");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":2}\n");
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?skip_time=1403488700");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403488600,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403488700,\"airline\":\"AAL\",\"responsetime\":1}\n");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403488900,\"airline\":\"AAL\",\"responsetime\":1}\n{\"time\":1403492400,\"airline\":\"AAL\",\"responsetime\":1}\n");
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");

        var buckets = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets")).Json!;

        Assert.Equal(2, (int)buckets["count"]!);
        Assert.Equal(1403481600000, (long)buckets["buckets"]![0]!["timestamp"]!);
        Assert.Equal(1, (long)buckets["buckets"]![0]!["event_count"]!);
        Assert.Equal(1403488800000, (long)buckets["buckets"]![1]!["timestamp"]!);
        Assert.Equal(1, (long)buckets["buckets"]![1]!["event_count"]!);
    }

    [Fact]
    public async Task Reset_start_and_end_re_gather_an_open_bucket_so_resent_data_counts_once()
    {
        var job = await Jobs.CreateOpenAsync(Server, "results-reset", """
            {"analysis_config":{"bucket_span":"1h","latency":"2h","detectors":[{"function":"count"}]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """);
        const string bucket = "{\"time\":1403481600}\n{\"time\":1403481700}\n{\"time\":1403481800}\n";
        await Jobs.PostDataAsync(Server, job, bucket);
        var resent = await Server.SendAsync(HttpMethod.Post,
            $"/_ml/anomaly_detectors/{job}/_data?reset_start=1403481600&reset_end=1403485200", bucket, "application/x-ndjson");
        Assert.Equal(HttpStatusCode.Accepted, resent.Status);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?advance_time=1403485200");

        var buckets = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets")).Json!;
        Assert.Equal(3, (long)buckets["buckets"]![0]!["event_count"]!);
        var stats = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/_stats")).Json!["jobs"]![0]!;
        Assert.Equal(6, (long)stats["data_counts"]!["processed_record_count"]!); // data counts see every record sent
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task Interim_results_are_marked_and_replaced_when_the_bucket_finalizes()
    {
        var job = await Jobs.CreateOpenAsync(Server, "results-interim");
        await Jobs.PostDataAsync(Server, job, "{\"time\":1403481600,\"airline\":\"AAL\",\"responsetime\":1}\n");
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_flush?calc_interim=true");

        var interim = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets")).Json!;
        Assert.Equal(1, (int)interim["count"]!);
        Assert.True((bool)interim["buckets"]![0]!["is_interim"]!);
        Assert.Equal(0, (int)(await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets?exclude_interim=true")).Json!["count"]!);

        await Jobs.PostDataAsync(Server, job, "{\"time\":1403485200,\"airline\":\"AAL\",\"responsetime\":1}\n");
        var final = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/buckets")).Json!;
        Assert.Equal(1, (int)final["count"]!);
        Assert.False((bool)final["buckets"]![0]!["is_interim"]!);
        await Server.PostAsync($"/_ml/anomaly_detectors/{job}/_close");
    }

    [Fact]
    public async Task Overall_buckets_take_the_mean_of_the_top_n_job_maxima()
    {
        await AnomalousJobAsync("overall-a");
        await AnomalousJobAsync("overall-b");
        var anomalyTime = (Start + (((8 * 24) + 5) * 3600L)) * 1000;

        var reply = (await Server.GetAsync("/_ml/anomaly_detectors/overall-*/results/overall_buckets?top_n=2&overall_score=10")).Json!;

        var top = reply["overall_buckets"]!.AsArray().Single(b => (long)b!["timestamp"]! == anomalyTime)!;
        Assert.Equal("overall_bucket", (string?)top["result_type"]);
        Assert.Equal(3600, (long)top["bucket_span"]!);
        var jobsArray = top["jobs"]!.AsArray();
        Assert.Equal(["overall-a", "overall-b"], jobsArray.Select(j => (string?)j!["job_id"]));
        var mean = ((double)jobsArray[0]!["max_anomaly_score"]! + (double)jobsArray[1]!["max_anomaly_score"]!) / 2;
        Assert.Equal(mean, (double)top["overall_score"]!, 6);
        Assert.All(reply["overall_buckets"]!.AsArray(), b => Assert.True((double)b!["overall_score"]! >= 10));
    }
}
