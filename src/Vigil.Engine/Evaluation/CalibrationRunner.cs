using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Evaluation;

/// <summary>One generated clean-data case of <see cref="CalibrationRunner"/>.</summary>
/// <param name="Name">Short name.</param>
/// <param name="Description">What the values are.</param>
/// <param name="Seed">Seed of the generator.</param>
/// <param name="Value">Value of series s at bucket i, drawing from the random source; the array holds one state value per
/// series (zero at the start of a run) for cases with memory.</param>
public sealed record CalibrationCase(string Name, string Description, int Seed, Func<Random, int, int, double[], double> Value);

/// <summary>Counts of small probabilities of one case: joint (the result's), single-bucket and multi-bucket.</summary>
/// <param name="Case">The case.</param>
/// <param name="Scored">Series-buckets scored after the warm-up.</param>
/// <param name="Joint">Joint probability below 1e-2, 1e-3, 1e-4.</param>
/// <param name="Single">Single-bucket probability below 1e-2, 1e-3, 1e-4.</param>
/// <param name="Multi">Multi-bucket probability below 1e-2, 1e-3, 1e-4.</param>
/// <param name="MinProbability">Smallest joint probability.</param>
public sealed record CalibrationResult(CalibrationCase Case, int Scored, int[] Joint, int[] Single, int[] Multi, double MinProbability);

/// <summary>
/// Calibration of the per-series model on clean generated data (no anomaly): a calibrated model gives p &lt; α in a
/// share α of the scored buckets. Each case runs 40 series × 3,000 five-minute buckets and counts after bucket 300, so
/// the calibrated counts are 1,080 / 108 / 10.8 below 1e-2 / 1e-3 / 1e-4. The counts of skewed, heavy-tailed and
/// multimodal cases show where the model is overconfident (see docs/engine.md); `vigil eval calibration` prints them.
/// </summary>
public static class CalibrationRunner
{
    /// <summary>Series per case.</summary>
    public const int Series = 40;

    /// <summary>Buckets per series.</summary>
    public const int Buckets = 3000;

    /// <summary>Buckets not counted at the start.</summary>
    public const int WarmUp = 300;

    private const long SpanMs = 300_000;
    private const long StartMs = 1_400_000_000_000 - (1_400_000_000_000 % 86_400_000);

    /// <summary>The generated cases: symmetric, skewed, heavy-tailed, multimodal and trending noise.</summary>
    public static IReadOnlyList<CalibrationCase> Cases { get; } =
    [
        new("gauss", "normal, mean 100, sd 5", 11, (r, _, _, _) => 100 + (5 * Gaussian(r))),
        new("gamma5", "50 + 2 × gamma(5)", 13, (r, _, _, _) => 50 + (2 * (Exponential(r) + Exponential(r) + Exponential(r) + Exponential(r) + Exponential(r)))),
        new("lognormal", "exp(3 + 0.5 × normal)", 14, (r, _, _, _) => Math.Exp(3 + (0.5 * Gaussian(r)))),
        new("exp-mean5", "mean of 5 exponential response times, mean 100", 15, (r, _, _, _) => 20 * (Exponential(r) + Exponential(r) + Exponential(r) + Exponential(r) + Exponential(r))),
        new("exp", "exponential, mean 100", 17, (r, _, _, _) => 100 * Exponential(r)),
        new("t3", "100 + 5 × Student-t(3)", 16, (r, _, _, _) => 100 + (5 * StudentT3(r))),
        new("bimodal", "50/50 at 80 and 120, sd 3", 18, (r, _, _, _) => (r.NextDouble() < 0.5 ? 80 : 120) + (3 * Gaussian(r))),
        new("mode10", "10% of values in a second mode 20 sd up", 19, (r, _, _, _) => (r.NextDouble() < 0.9 ? 100 : 160) + (3 * Gaussian(r))),
        new("mode2", "2% of values in a second mode 20 sd up", 20, (r, _, _, _) => (r.NextDouble() < 0.98 ? 100 : 160) + (3 * Gaussian(r))),
        new("poisson3", "Poisson counts, mean 3", 12, (r, _, _, _) => Poisson(r, 3)),
        new("ar0.9", "AR(1) noise, coefficient 0.9, innovation sd 5", 22, (r, s, _, state) => Ar(r, s, state)),
        new("walk", "random walk (step sd 0.5) plus noise sd 5", 23, (r, s, _, state) => Walk(r, s, state)),
        new("trend1", "normal sd 5 drifting 1 sd a day (up or down)", 21, (r, s, i, _) => Drift(r, s, i, 1)),
        new("trend3", "normal sd 5 drifting 3 sd a day", 21, (r, s, i, _) => Drift(r, s, i, 3)),
        new("trend10", "normal sd 5 drifting 10 sd a day", 21, (r, s, i, _) => Drift(r, s, i, 10)),
    ];

    /// <summary>Runs one case with the given model options (bucket span 5 minutes).</summary>
    public static CalibrationResult Run(CalibrationCase c, SeriesModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(options);
        var store = new SeriesModelStore(options with { BucketSpanMs = SpanMs });
        for (var s = 0; s < Series; s++)
        {
            store.Add();
        }

        var random = new Random(c.Seed);
        var state = new double[Series];
        var joint = new int[3];
        var single = new int[3];
        var multi = new int[3];
        var scored = 0;
        var min = 1.0;
        for (var i = 0; i < Buckets; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                var r = store.ScoreThenUpdate(s, StartMs + (i * SpanMs), c.Value(random, s, i, state), 1, Tail.TwoSided);
                if (i < WarmUp || !r.Scored)
                {
                    continue;
                }

                scored++;
                min = Math.Min(min, r.Probability);
                Count(joint, r.Probability);
                Count(single, r.SingleBucketProbability);
                Count(multi, r.MultiBucketProbability);
            }
        }

        return new CalibrationResult(c, scored, joint, single, multi, min);
    }

    private static void Count(int[] counts, double p)
    {
        counts[0] += p < 1e-2 ? 1 : 0;
        counts[1] += p < 1e-3 ? 1 : 0;
        counts[2] += p < 1e-4 ? 1 : 0;
    }

    /// <summary>AR(1) with coefficient 0.9 (one state value per series).</summary>
    private static double Ar(Random r, int s, double[] state)
    {
        state[s] = (0.9 * state[s]) + (5 * Gaussian(r));
        return 100 + state[s];
    }

    private static double Walk(Random r, int s, double[] state)
    {
        state[s] += 0.5 * Gaussian(r);
        return 100 + state[s] + (5 * Gaussian(r));
    }

    private static double Drift(Random r, int s, int i, double sdPerDay) =>
        1000 + ((s % 2 == 0 ? 1 : -1) * sdPerDay * 5 / 288.0 * i) + (5 * Gaussian(r));

    private static double Gaussian(Random r) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    private static double Exponential(Random r) => -Math.Log(1.0 - r.NextDouble());

    private static double StudentT3(Random r)
    {
        var z = Gaussian(r);
        var chi = 0.0;
        for (var k = 0; k < 3; k++)
        {
            var g = Gaussian(r);
            chi += g * g;
        }

        return z / Math.Sqrt(chi / 3);
    }

    private static int Poisson(Random r, double mean)
    {
        var l = Math.Exp(-mean);
        var k = 0;
        var p = 1.0;
        do
        {
            k++;
            p *= r.NextDouble();
        }
        while (p > l);
        return k - 1;
    }
}
