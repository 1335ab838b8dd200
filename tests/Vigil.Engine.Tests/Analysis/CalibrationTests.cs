using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Tests.Pipeline;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>
/// Calibration of the per-series model on clean data: a calibrated model gives p &lt; α in a share α of buckets.
/// Over 40 series × 2,700 scored buckets (108,000 values) the counts below 1e-3 and 1e-4 may be at most twice what a
/// calibrated model gives; fewer is fine (conservative).
/// </summary>
public sealed class CalibrationTests
{
    private const int Series = 40;
    private const int Buckets = 3000;
    private const int Skip = 300;

    private static (int Below3, int Below4, int Total) Count(int seed, Func<Random, double> value)
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = FiveMinutes });
        for (var s = 0; s < Series; s++)
        {
            store.Add();
        }

        var random = new Random(seed);
        int below3 = 0, below4 = 0, total = 0;
        for (var i = 0; i < Buckets; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                var v = value(random);
                var r = store.ScoreThenUpdate(s, Start + (i * FiveMinutes), v, 1, Tail.TwoSided);
                if (i < Skip || !r.Scored)
                {
                    continue;
                }

                total++;
                below3 += r.Probability < 1e-3 ? 1 : 0;
                below4 += r.Probability < 1e-4 ? 1 : 0;
            }
        }

        return (below3, below4, total);
    }

    private static void AssertCalibrated((int Below3, int Below4, int Total) c)
    {
        Assert.True(c.Below3 <= 2e-3 * c.Total && c.Below4 <= 2e-4 * c.Total,
            $"p<1e-3: {c.Below3} (calibrated {c.Total * 1e-3:F0}), p<1e-4: {c.Below4} (calibrated {c.Total * 1e-4:F1}) of {c.Total}");
    }

    [Fact]
    public void Gaussian_noise_is_not_overconfident() => AssertCalibrated(Count(11, r => 100 + (5 * Gaussian(r))));

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    [InlineData(20.0)]
    [InlineData(200.0)]
    public void Poisson_counts_are_not_overconfident(double lambda) => AssertCalibrated(Count(12, r => Gen.Poisson(r, lambda)));

    [Fact(Skip = "Known gap: overconfident on skewed data. Measured: p<1e-3 212, p<1e-4 47 of 108,000 (calibrated 108, 10.8); "
        + "the multi-bucket feature is the worse part. With seed 11, TailCalibration + LearnMultiBucketSpread gave 38 and 4 (from 198, 43) but cost NAB "
        + "standard 65.0 -> 57.9; scaling the multi-bucket spread by nu/(nu-2) gives 140 and 33 and NAB 60.5.")]
    public void Skewed_gamma_noise_is_not_overconfident() =>
        AssertCalibrated(Count(13, r => 50 - (2 * (Math.Log(1 - r.NextDouble()) + Math.Log(1 - r.NextDouble()) + Math.Log(1 - r.NextDouble())
            + Math.Log(1 - r.NextDouble()) + Math.Log(1 - r.NextDouble())))));

    [Fact(Skip = "Known gap: overconfident on log-normal data unless the log-space error model is on. Measured: p<1e-3 594, "
        + "p<1e-4 193 of 108,000; with LogErrorModel (seed 11) 26 and 0, but LogErrorModel costs NAB standard 65.0 -> 43-40.")]
    public void Lognormal_noise_is_not_overconfident() => AssertCalibrated(Count(14, r => Math.Exp(3 + (0.5 * Gaussian(r)))));
}
