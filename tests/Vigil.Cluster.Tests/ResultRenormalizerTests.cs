using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Cluster.Jobs;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Configuration;

namespace Vigil.Cluster.Tests;

public sealed class ResultRenormalizerTests
{
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
}
