using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Cluster.Jobs;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Configuration;
using Vigil.Storage;
using Vigil.Storage.Sqlite;
using Xunit.Abstractions;

namespace Vigil.Cluster.Tests;

public sealed class ResultRenormalizerTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-renorm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Normalizers of a job with one detector and influencer "host" (bucket influencers of field "gone" cannot be rescored); the bucket normalizer learned a few scores.</summary>
    private static ResultNormalizers Normalizers(out ScoreNormalizer bucket)
    {
        bucket = new ScoreNormalizer(3600);
        for (var i = 0; i < 200; i++)
        {
            bucket.Update(0, i % 50 == 0 ? 2.0 : 0.0);
        }

        return new ResultNormalizers(bucket, ["host"], [new ScoreNormalizer(3600)], [new ScoreNormalizer(3600)],
            [[new ScoreNormalizer(3600)]]);
    }

    private static JsonObject Bucket(double bucketScore, double bucketTimeScore, double raw, double probability, double goneScore) =>
        JsonNode.Parse(string.Create(CultureInfo.InvariantCulture, $$"""
            {"job_id":"j","timestamp":0,"anomaly_score":{{bucketScore}},"initial_anomaly_score":{{bucketScore}},
             "bucket_influencers":[
               {"influencer_field_name":"bucket_time","initial_anomaly_score":{{bucketTimeScore}},"anomaly_score":{{bucketTimeScore}},"raw_anomaly_score":{{raw}},"probability":{{probability}}},
               {"influencer_field_name":"gone","initial_anomaly_score":{{goneScore}},"anomaly_score":{{goneScore}},"raw_anomaly_score":1,"probability":0.001}]}
            """))!.AsObject();

    [Fact]
    public void A_bucket_takes_the_largest_score_of_its_bucket_influencers_even_when_none_changed()
    {
        var normalizers = Normalizers(out var normalizer);
        var current = normalizer.Normalize(0, 2.0, 1e-5);
        var bucket = Bucket(current, current, 2.0, 1e-5, goneScore: current + 20);

        Assert.True(ResultRenormalizer.RescoreBucket(bucket, normalizers, out var score));

        Assert.Equal(current + 20, score);
        Assert.Equal(current + 20, (double)bucket["anomaly_score"]!);
        Assert.Equal(current, (double)bucket["initial_anomaly_score"]!);
        Assert.Equal(current, (double)bucket["bucket_influencers"]![0]!["anomaly_score"]!);
    }

    [Fact]
    public void A_bucket_whose_scores_still_hold_is_not_rewritten()
    {
        var normalizers = Normalizers(out var normalizer);
        var current = normalizer.Normalize(0, 2.0, 1e-5);
        var bucket = Bucket(current + 1.0, current + 1.0, 2.0, 1e-5, goneScore: 0);
        var before = bucket.ToJsonString();

        Assert.False(ResultRenormalizer.RescoreBucket(bucket, normalizers, out var score));

        Assert.Equal(current + 1.0, score);
        Assert.Equal(before, bucket.ToJsonString());
    }

    [Fact]
    public void A_big_change_rewrites_the_bucket_influencer_and_the_bucket_but_not_the_initial_scores()
    {
        var normalizers = Normalizers(out var normalizer);
        var current = normalizer.Normalize(0, 2.0, 1e-5);
        var bucket = Bucket(95, 95, 2.0, 1e-5, goneScore: 10);

        Assert.True(ResultRenormalizer.RescoreBucket(bucket, normalizers, out var score));

        Assert.Equal(Math.Max(current, 10), score);
        Assert.Equal(current, (double)bucket["bucket_influencers"]![0]!["anomaly_score"]!);
        Assert.Equal(95, (double)bucket["bucket_influencers"]![0]!["initial_anomaly_score"]!);
        Assert.Equal(95, (double)bucket["initial_anomaly_score"]!);
    }

    [Theory]
    [InlineData("\"bucket_span\":\"1h\"", null, 30L * 86_400_000)]
    [InlineData("\"bucket_span\":\"1d\"", null, 100L * 86_400_000)]
    [InlineData("\"bucket_span\":\"1h\"", 3L, 3L * 86_400_000)]
    public void The_window_is_the_configured_days_or_the_longer_of_30_days_and_100_buckets(string span, long? days, long expected)
    {
        var json = "{\"analysis_config\":{" + span + ",\"detectors\":[{\"function\":\"count\"}]},"
            + (days is null ? "" : $"\"renormalization_window_days\":{days},")
            + "\"data_description\":{\"time_field\":\"time\"}}";
        var job = JobConfigParser.ParseForCreate(Encoding.UTF8.GetBytes(json), "job", DateTimeOffset.UnixEpoch, "12.0.0");

        Assert.Equal(expected, ResultRenormalizer.WindowMs(job));
    }

    /// <summary>
    /// 30 days of hourly buckets, each with 4 records and 4 influencers over 100 hosts, scored as they arrive by
    /// normalizers that keep learning; then renormalized twice against the final state.
    /// </summary>
    [Fact]
    public async Task A_pass_rewrites_changed_results_to_the_current_scores_and_a_second_pass_changes_nothing()
    {
        IResultStore store = SqliteStore.Open(_dir);
        var bucketNormalizer = new ScoreNormalizer(3600);
        var recordNormalizer = new ScoreNormalizer(3600);
        var influencerNormalizer = new ScoreNormalizer(3600);
        var random = new Random(11);
        var rows = new List<ResultRow>();
        const int Buckets = 720;
        for (var b = 0; b < Buckets; b++)
        {
            var ts = b * 3_600_000L;
            var p = Math.Pow(10, -1 - (random.NextDouble() * random.NextDouble() * 12));
            var raw = p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
            bucketNormalizer.Update(0, raw);
            var s = bucketNormalizer.Normalize(0, raw, p);
            rows.Add(new ResultRow("bucket", "b" + b, ts, s, false, Json($$"""
                {"job_id":"j","timestamp":{{ts}},"anomaly_score":{{s}},"bucket_span":3600,"initial_anomaly_score":{{s}},"event_count":10,
                 "is_interim":false,"bucket_influencers":[{"job_id":"j","result_type":"bucket_influencer","influencer_field_name":"bucket_time",
                 "initial_anomaly_score":{{s}},"anomaly_score":{{s}},"raw_anomaly_score":{{raw}},"probability":{{p}},"timestamp":{{ts}},
                 "bucket_span":3600,"is_interim":false}],"processing_time_ms":0,"result_type":"bucket"}
                """)));
            for (var r = 0; r < 4; r++)
            {
                var scope = random.Next(100);
                var rp = p * (1 + r);
                var rraw = rp <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(rp) : 0.0;
                recordNormalizer.Update(scope, rraw);
                influencerNormalizer.Update(scope, rraw);
                var rs = recordNormalizer.Normalize(scope, rraw, rp);
                var score = influencerNormalizer.Normalize(scope, rraw, rp);
                rows.Add(new ResultRow("record", $"r{b}_{r}", ts, rs, false, Json($$"""
                    {"job_id":"j","result_type":"record","probability":{{rp}},"record_score":{{rs}},"initial_record_score":{{rs}},
                     "bucket_span":3600,"detector_index":0,"is_interim":false,"timestamp":{{ts}},"by_field_name":"host",
                     "by_field_value":"h{{scope}}","function":"mean","typical":[1],"actual":[2],"influencers":[{"influencer_field_name":"host","influencer_field_values":["h{{scope}}"]}]}
                    """), 0, scope));
                rows.Add(new ResultRow("influencer", $"i{b}_{r}", ts, score, false, Json($$"""
                    {"job_id":"j","result_type":"influencer","influencer_field_name":"host","influencer_field_value":"h{{scope}}",
                     "influencer_score":{{score}},"initial_influencer_score":{{score}},"probability":{{rp}},"bucket_span":3600,
                     "is_interim":false,"timestamp":{{ts}}}
                    """), null, scope));
            }
        }

        await store.WriteAsync("j", rows, replaceInterim: false);
        var normalizers = new ResultNormalizers(bucketNormalizer, ["host"], [new ScoreNormalizer(3600)], [influencerNormalizer],
            [[recordNormalizer]]);
        const long End = Buckets * 3_600_000L;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var first = await ResultRenormalizer.RunAsync(store, "j", normalizers, 0, End);
        var firstMs = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        var second = await ResultRenormalizer.RunAsync(store, "j", normalizers, 0, End);
        output.WriteLine($"{rows.Count} results: first pass {firstMs:F0} ms ({first.Updated} updated), second {watch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.Equal(rows.Count, first.Examined);
        Assert.True(first.Updated > 0);
        Assert.Equal(new RenormalizationCounts(rows.Count, 0), second);
        await foreach (var row in store.ReadFinalAsync("j", "record", 0, End))
        {
            var document = JsonNode.Parse(row.Document)!;
            Assert.True(normalizers.TryRecordScore(0, 0, row.NormalizerScope!.Value, (double)document["probability"]!, row.NormalizerFamily ?? 1, out var now));
            Assert.False(ResultNormalizers.IsBigUpdate((double)document["record_score"]!, now), document.ToJsonString());
            Assert.Equal((double)document["record_score"]!, row.Score);
        }

        await foreach (var row in store.ReadFinalAsync("j", "bucket", 0, End))
        {
            var document = JsonNode.Parse(row.Document)!;
            Assert.Equal((double)document["bucket_influencers"]![0]!["anomaly_score"]!, (double)document["anomaly_score"]!);
            Assert.Equal((double)document["anomaly_score"]!, row.Score);
        }
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings(""));
}
