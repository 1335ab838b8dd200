using Vigil.Engine.Analysis.Modeling;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>
/// The daily test must not take a wander for a daily cycle: random walks and strongly autocorrelated noise in hourly
/// buckets have smooth intraday paths whose even-day and odd-day hour profiles can agree by chance.
/// </summary>
public sealed class SpuriousDailyTests
{
    private const long Hour = 3_600_000;

    private static int DailyCount(int seed, Func<Random, double, double> next, int series = 60, int buckets = 3_000)
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = Hour });
        var state = new double[series];
        for (var s = 0; s < series; s++)
        {
            store.Add();
        }

        var random = new Random(seed);
        for (var i = 0; i < buckets; i++)
        {
            for (var s = 0; s < series; s++)
            {
                state[s] = next(random, state[s]);
                store.ScoreThenUpdate(s, Start + (i * Hour), 100 + state[s], 1, Tail.TwoSided);
            }
        }

        var daily = 0;
        for (var s = 0; s < series; s++)
        {
            daily += store.IsSeasonal(s) ? 1 : 0;
        }

        return daily;
    }

    [Fact]
    public void Random_walks_in_hourly_buckets_rarely_get_a_daily_component()
    {
        var n = DailyCount(41, (r, x) => x + Gaussian(r));
        Assert.True(n <= 1, $"{n} of 60 random walks got a seasonal component");
    }

    [Fact]
    public void Strongly_autocorrelated_noise_in_hourly_buckets_rarely_gets_a_daily_component()
    {
        var n = DailyCount(42, (r, x) => (0.9 * x) + Gaussian(r));
        Assert.True(n <= 1, $"{n} of 60 AR(0.9) series got a seasonal component");
    }

    [Fact]
    public void A_noisy_daily_cycle_on_a_wandering_level_is_still_found()
    {
        // Real daily cycles ride on slow wanders: the cycle must still be accepted.
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = Hour });
        var found = 0;
        for (var s = 0; s < 20; s++)
        {
            store.Add();
        }

        var random = new Random(43);
        var level = new double[20];
        for (var i = 0; i < 24 * 21; i++)
        {
            for (var s = 0; s < 20; s++)
            {
                level[s] = (0.95 * level[s]) + (0.5 * Gaussian(random));
                var value = 100 + level[s] + (10 * Math.Sin(2 * Math.PI * (i % 24) / 24.0)) + (2 * Gaussian(random));
                store.ScoreThenUpdate(s, Start + (i * Hour), value, 1, Tail.TwoSided);
            }
        }

        for (var s = 0; s < 20; s++)
        {
            found += store.IsSeasonal(s) ? 1 : 0;
        }

        Assert.True(found >= 19, $"{found} of 20 daily cycles found");
    }
}
