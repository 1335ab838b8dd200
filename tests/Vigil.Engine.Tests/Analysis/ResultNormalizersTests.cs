using System.Globalization;
using System.Text;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Configuration;
using Vigil.Engine.Jobs;
using Vigil.Engine.Results;

namespace Vigil.Engine.Tests.Analysis;

public sealed class ResultNormalizersTests
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z

    private static JobProcessor Create()
    {
        const string Json = """
            {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"value","by_field_name":"host"}],
              "influencers":["host"]},
             "data_description":{"time_field":"time","time_format":"epoch"}}
            """;
        var job = JobConfigParser.ParseForCreate(Encoding.UTF8.GetBytes(Json), "job", DateTimeOffset.UnixEpoch, "12.0.0");
        return new JobProcessor(JobProcessorSpecs.From(job), null, [], TimeProvider.System);
    }

    /// <summary>Three hosts, a value every 10 minutes around 100 (σ 5), hours [from, to); host h0 gets +shift in hour <paramref name="spikeHour"/>.</summary>
    private static void Post(JobProcessor processor, Random random, int fromHour, int toHour, int spikeHour = -1, double spike = 0)
    {
        var sb = new StringBuilder();
        for (var t = Start + (fromHour * 3600L); t < Start + (toHour * 3600L); t += 600)
        {
            for (var h = 0; h < 3; h++)
            {
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                var value = 100 + (h * 20) + (5 * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                if (h == 0 && (t - Start) / 3600 == spikeHour)
                {
                    value += spike;
                }

                sb.Append("{\"time\":").Append(t).Append(",\"host\":\"h").Append(h).Append("\",\"value\":")
                  .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append("}\n");
            }
        }

        processor.BeginUpload(InputFormat.Json);
        processor.Feed(Encoding.UTF8.GetBytes(sb.ToString()));
        processor.EndUpload();
    }

    private static long HourMs(int hour) => (Start + (hour * 3600L)) * 1000;

    private static RecordDocument RecordAt(IReadOnlyList<object> results, int hour)
    {
        foreach (var r in results)
        {
            if (r is RecordDocument { IsInterim: false } record && record.Timestamp == HourMs(hour) && record.ByFieldValue == "h0")
            {
                return record;
            }
        }

        throw new InvalidOperationException($"no record for h0 at hour {hour}");
    }

    private static double Rescore(ResultNormalizers normalizers, RecordDocument record)
    {
        Assert.True(normalizers.TryRecordScore(record.DetectorIndex, record.NormalizerFeature!.Value, record.NormalizerScope!.Value,
            record.Probability, record.NormalizerFamily!.Value, out var score));
        return score;
    }

    [Fact]
    public void A_stored_record_score_drops_after_a_far_larger_anomaly_in_its_scope()
    {
        var random = new Random(42);
        using var processor = Create();
        Post(processor, random, 0, 6 * 24, spikeHour: (5 * 24) + 3, spike: 30);
        var moderate = RecordAt(processor.DrainResults(), (5 * 24) + 3);
        Assert.InRange(moderate.InitialRecordScore, 60, 95);
        var normalizers = processor.Normalizers;
        normalizers.TakeBigChange();
        var before = Rescore(normalizers, moderate);

        Post(processor, random, 6 * 24, 8 * 24, spikeHour: (7 * 24) + 3, spike: 500);
        var huge = RecordAt(processor.DrainResults(), (7 * 24) + 3);
        Assert.True(huge.Probability < moderate.Probability * 1e-3);

        Assert.True(normalizers.TakeBigChange());
        Assert.False(normalizers.TakeBigChange());
        var after = Rescore(normalizers, moderate);
        Assert.True(after < before - 10, $"before {before}, after {after}");
        Assert.True(after < moderate.InitialRecordScore - 10, $"initial {moderate.InitialRecordScore}, after {after}");

        // Rescoring reads the normalizers without changing them.
        Assert.Equal(after, Rescore(normalizers, moderate));
        Assert.Equal(after, Rescore(processor.Normalizers, moderate));
    }

    [Fact]
    public void Rescoring_right_after_the_bucket_reproduces_every_initial_score()
    {
        var random = new Random(7);
        using var processor = Create();
        Post(processor, random, 0, (5 * 24) + 4, spikeHour: (5 * 24) + 3, spike: 40);
        processor.Flush(new FlushRequest(false, null, null, HourMs((5 * 24) + 4), null));
        var results = processor.DrainResults();
        var normalizers = processor.Normalizers;
        var hour = HourMs((5 * 24) + 3);
        int records = 0, influencers = 0, bucketInfluencers = 0;
        foreach (var r in results)
        {
            switch (r)
            {
                case RecordDocument { IsInterim: false } record when record.Timestamp == hour:
                    Assert.Equal(record.InitialRecordScore, Rescore(normalizers, record), 9);
                    records++;
                    break;
                case InfluencerDocument { IsInterim: false } influencer when influencer.Timestamp == hour:
                    Assert.True(normalizers.TryInfluencerScore(influencer.InfluencerFieldName, influencer.NormalizerScope!.Value,
                        influencer.Probability, influencer.NormalizerFamily!.Value, out var influencerScore));
                    Assert.Equal(influencer.InitialInfluencerScore, influencerScore, 9);
                    influencers++;
                    break;
                case BucketDocument { IsInterim: false } bucket when bucket.Timestamp == hour:
                    foreach (var bi in bucket.BucketInfluencers)
                    {
                        Assert.True(normalizers.TryBucketInfluencerScore(bi.InfluencerFieldName, bi.RawAnomalyScore, bi.Probability,
                            out var biScore));
                        Assert.Equal(bi.InitialAnomalyScore, biScore, 9);
                        bucketInfluencers++;
                    }

                    break;
            }
        }

        Assert.True(records >= 1 && influencers >= 1, $"records {records}, influencers {influencers}");
        Assert.Equal(2, bucketInfluencers); // bucket_time and host
    }

    [Fact]
    public void Unknown_detectors_features_and_fields_cannot_be_rescored()
    {
        using var processor = Create();
        var normalizers = processor.Normalizers;
        Assert.False(normalizers.TryRecordScore(1, 0, 0, 1e-6, 1, out _));
        Assert.False(normalizers.TryRecordScore(0, 1, 0, 1e-6, 1, out _));
        Assert.False(normalizers.TryRecordScore(0, 0, -1, 1e-6, 1, out _));
        Assert.False(normalizers.TryInfluencerScore("user", 0, 1e-6, 1, out _));
        Assert.False(normalizers.TryBucketInfluencerScore("user", 5, 1e-6, out _));
        Assert.True(normalizers.TryBucketInfluencerScore("bucket_time", 5, 1e-6, out _));
        Assert.True(normalizers.TryInfluencerScore("host", 3, 1e-6, 1, out _));
    }

    [Fact]
    public void Big_change_is_a_scope_maximum_growing_by_more_than_a_tenth()
    {
        var normalizer = new ScoreNormalizer(3600);
        Assert.False(normalizer.TakeBigChange());
        normalizer.Update(0, 0.0);
        Assert.False(normalizer.TakeBigChange());
        normalizer.Update(0, 10.0);
        Assert.True(normalizer.TakeBigChange());
        Assert.False(normalizer.TakeBigChange());
        normalizer.Update(0, 10.5);
        normalizer.Update(0, 3.0);
        Assert.False(normalizer.TakeBigChange());
        normalizer.Update(1, 2.0); // a new scope's first score
        Assert.True(normalizer.TakeBigChange());
        normalizer.Update(0, 12.0);
        Assert.True(normalizer.TakeBigChange());
    }

    [Theory]
    [InlineData(10.0, 11.0, false)]
    [InlineData(10.0, 11.5, true)] // moves by 1.5
    [InlineData(24.5, 25.5, true)] // crosses a severity band
    [InlineData(75.2, 74.9, true)]
    [InlineData(1.0, 0.3, true)] // below a third
    [InlineData(0.3, 1.0, true)]
    [InlineData(1.0, 0.5, false)]
    [InlineData(0.0, 0.0, false)]
    [InlineData(90.0, 90.0, false)]
    public void Big_update_follows_the_elasticsearch_rule(double oldScore, double newScore, bool big) =>
        Assert.Equal(big, ResultNormalizers.IsBigUpdate(oldScore, newScore));
}
