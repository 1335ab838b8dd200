using Vigil.Engine.Analysis.Modeling;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>
/// Routine outliers: a one-bucket spike that recurs at about the same time every day (a scheduled
/// job) stops scoring as an extreme event, while the same spike at an unusual hour, or a much larger
/// one at the routine hour, still does.
/// </summary>
public sealed class RoutineOutlierTests
{
    private const int Days = 16;
    private const int PerDay = 288;

    /// <summary>Noise with a +30 spike every day at 03:00 ± 15 minutes (seeded jitter).</summary>
    private static double[] NightlyJob(int seed)
    {
        var random = new Random(seed);
        var values = new double[Days * PerDay];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = 100 + 2 * Gaussian(random);
        }

        for (var day = 0; day < Days - 1; day++)
        {
            values[day * PerDay + 36 + random.Next(-3, 4)] += 30;
        }

        return values;
    }

    private static double[] Probabilities(double[] values, bool routine)
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = FiveMinutes, RoutineOutliers = routine });
        var s = store.Add();
        var p = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            p[i] = store.ScoreThenUpdate(s, Start + i * FiveMinutes, values[i], 1, Tail.TwoSided).Probability;
        }

        return p;
    }

    private static double SpikeProbabilityOnDay(double[] values, double[] p, int day)
    {
        var best = 1.0;
        for (var i = day * PerDay + 30; i < day * PerDay + 42; i++)
        {
            if (values[i] > 115)
            {
                best = Math.Min(best, p[i]);
            }
        }

        return best;
    }

    [Fact]
    public void Recurring_nightly_spike_stops_being_extreme()
    {
        var values = NightlyJob(41);
        var with = Probabilities(values, routine: true);
        var without = Probabilities(values, routine: false);
        var lastDay = Days - 2;
        Assert.True(SpikeProbabilityOnDay(values, with, lastDay) > 1e-3,
            $"routine spike p {SpikeProbabilityOnDay(values, with, lastDay)}");
        Assert.True(SpikeProbabilityOnDay(values, without, lastDay) < 1e-6,
            $"without the routine model the spike should be extreme: p {SpikeProbabilityOnDay(values, without, lastDay)}");
    }

    [Fact]
    public void Same_spike_at_an_unusual_hour_stays_extreme()
    {
        var values = NightlyJob(42);
        var at = (Days - 1) * PerDay + 180; // 15:00 on the last day
        values[at] += 30;
        var p = Probabilities(values, routine: true);
        Assert.True(p[at] < 1e-6, $"off-hour spike p {p[at]}");
    }

    [Fact]
    public void Much_larger_spike_at_the_routine_hour_stays_extreme()
    {
        var values = NightlyJob(43);
        var at = (Days - 1) * PerDay + 36;
        values[at] += 150;
        var p = Probabilities(values, routine: true);
        Assert.True(p[at] < 1e-6, $"large spike p {p[at]}");
    }

    [Fact]
    public void Dip_at_the_routine_hour_stays_extreme()
    {
        var values = NightlyJob(44);
        // On the last day the job does not run; instead the value drops by as much at 03:00.
        var at = (Days - 1) * PerDay + 36;
        for (var i = at - 4; i <= at + 4; i++)
        {
            values[i] = 100;
        }

        values[at] -= 30;
        var p = Probabilities(values, routine: true);
        Assert.True(p[at] < 1e-6, $"dip p {p[at]}");
    }
}
