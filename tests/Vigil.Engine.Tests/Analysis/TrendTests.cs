using System.Buffers;
using Vigil.Engine.Analysis.Modeling;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>
/// The linear trend (<c>SeriesModelStore.Trend.cs</c>): a slow steady drift becomes a slope the prediction follows; noise,
/// one-off steps and fast ramps do not.
/// </summary>
public sealed class TrendTests
{
    private const int Buckets = 3000;
    private const int Skip = 300;
    private const double NoiseSd = 5;
    private static readonly SeriesModelOptions Options = new() { BucketSpanMs = FiveMinutes };

    /// <summary>Per bucket drift of a trend of <paramref name="sdPerDay"/> noise standard deviations per day (5-minute buckets).</summary>
    private static double Drift(double sdPerDay) => sdPerDay * NoiseSd / 288.0;

    private static (int Below2, int Below3, int Total, double MeanAbsError, int Trends) Run(
        SeriesModelOptions options, double sdPerDay, int series, int seed)
    {
        var store = new SeriesModelStore(options);
        for (var s = 0; s < series; s++)
        {
            store.Add();
        }

        var random = new Random(seed);
        int below2 = 0, below3 = 0, total = 0;
        var error = 0.0;
        for (var i = 0; i < Buckets; i++)
        {
            for (var s = 0; s < series; s++)
            {
                var direction = s % 2 == 0 ? 1 : -1;
                var value = 1000 + (direction * Drift(sdPerDay) * i) + (NoiseSd * Gaussian(random));
                var r = store.ScoreThenUpdate(s, Start + (i * FiveMinutes), value, 1, Tail.TwoSided);
                if (i < Skip || !r.Scored)
                {
                    continue;
                }

                total++;
                below2 += r.Probability < 1e-2 ? 1 : 0;
                below3 += r.Probability < 1e-3 ? 1 : 0;
                error += Math.Abs(r.Actual - r.Typical);
            }
        }

        var trends = 0;
        for (var s = 0; s < series; s++)
        {
            trends += store.HasTrend(s) ? 1 : 0;
        }

        return (below2, below3, total, error / total, trends);
    }

    [Fact]
    public void A_steady_drift_of_three_deviations_a_day_becomes_a_trend_the_prediction_follows()
    {
        // 40 series drifting up or down by 3 noise deviations a day. Measured: every series gets a trend, p < 1e-2 in
        // 1,273 and p < 1e-3 in 111 of 108,000 scored buckets (calibrated 1,080 and 108), mean |actual − typical| 4.10
        // (the noise's own mean absolute value is 3.99). Without the trend: 2,690 and 252, error 4.46.
        var with = Run(Options, 3, 40, 21);
        var without = Run(Options with { Trend = false }, 3, 40, 21);

        Assert.Equal(40, with.Trends);
        Assert.Equal(0, without.Trends);
        Assert.True(with.Below2 <= 1.5 * 1e-2 * with.Total, $"p<1e-2: {with.Below2} of {with.Total}");
        Assert.True(with.Below3 <= 2 * 1e-3 * with.Total, $"p<1e-3: {with.Below3} of {with.Total}");
        Assert.True(without.Below2 > 2 * with.Below2, $"without the trend p<1e-2: {without.Below2}, with: {with.Below2}");
        Assert.True(with.MeanAbsError < 1.05 * 0.7979 * NoiseSd, $"mean |actual - typical| {with.MeanAbsError:F2}");
    }

    [Fact]
    public void Noise_without_drift_gets_no_trend_and_scores_as_before()
    {
        var with = Run(Options, 0, 40, 22);
        var without = Run(Options with { Trend = false }, 0, 40, 22);

        Assert.Equal(0, with.Trends);
        Assert.Equal(without.Below2, with.Below2);
        Assert.Equal(without.Below3, with.Below3);
    }

    [Fact]
    public void A_fast_ramp_of_thirty_deviations_a_day_is_not_a_trend()
    {
        var fast = Run(Options, 30, 10, 23);

        Assert.Equal(0, fast.Trends);
    }

    [Fact]
    public void A_one_off_level_step_is_not_a_trend()
    {
        var store = new SeriesModelStore(Options);
        var s = store.Add();
        var random = new Random(24);
        for (var i = 0; i < Buckets; i++)
        {
            var value = 1000 + (i >= 1500 ? 10 * NoiseSd : 0) + (NoiseSd * Gaussian(random));
            store.ScoreThenUpdate(s, Start + (i * FiveMinutes), value, 1, Tail.TwoSided);
        }

        Assert.False(store.HasTrend(s));
        Assert.Equal(0, store.Slope(s));
    }

    [Fact]
    public void A_spike_on_a_trending_series_is_its_least_likely_bucket()
    {
        var store = new SeriesModelStore(Options);
        var s = store.Add();
        var random = new Random(25);
        const int SpikeAt = 2500;
        var worst = -1;
        var worstP = 1.0;
        for (var i = 0; i < Buckets; i++)
        {
            var value = 1000 + (Drift(3) * i) + (NoiseSd * Gaussian(random)) + (i == SpikeAt ? 6 * NoiseSd : 0);
            var r = store.ScoreThenUpdate(s, Start + (i * FiveMinutes), value, 1, Tail.TwoSided);
            if (i >= Skip && r.Probability < worstP)
            {
                worstP = r.Probability;
                worst = i;
            }
        }

        Assert.True(store.HasTrend(s));
        Assert.Equal(SpikeAt, worst);
    }

    [Fact]
    public void A_snapshot_keeps_the_trend_and_continues_identically()
    {
        var store = new SeriesModelStore(Options);
        var s = store.Add();
        var random = new Random(26);
        for (var i = 0; i < 2000; i++)
        {
            store.ScoreThenUpdate(s, Start + (i * FiveMinutes), 1000 + (Drift(3) * i) + (NoiseSd * Gaussian(random)), 1, Tail.TwoSided);
        }

        Assert.True(store.HasTrend(s));
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var restored = SeriesModelStore.Load(buffer.WrittenSpan, Options);
        Assert.Equal(store.Slope(s), restored.Slope(s));
        for (var i = 2000; i < 2300; i++)
        {
            var value = 1000 + (Drift(3) * i) + (NoiseSd * Gaussian(random));
            var a = store.ScoreThenUpdate(s, Start + (i * FiveMinutes), value, 1, Tail.TwoSided);
            var b = restored.ScoreThenUpdate(s, Start + (i * FiveMinutes), value, 1, Tail.TwoSided);
            Assert.Equal(a, b);
        }
    }
}
