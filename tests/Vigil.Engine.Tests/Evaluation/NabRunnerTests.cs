using Vigil.Engine.Evaluation;

namespace Vigil.Engine.Tests.Evaluation;

public sealed class NabRunnerTests
{
    private static (long[] Times, double[] Values) Series(int n, int seed)
    {
        var random = new Random(seed);
        var times = new long[n];
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            times[i] = 1_396_310_400_000 + i * 300_000L + random.Next(0, 5) * 1000;
            values[i] = 40 + 5 * Math.Sin(2 * Math.PI * i / 288.0) + random.NextDouble() + (i == 2500 ? 30 : 0);
        }

        return (times, values);
    }

    [Fact]
    public void Interval_is_the_median_gap_of_the_first_rows_in_whole_seconds()
    {
        long[] times = [0, 300_400, 600_000, 900_000, 1_500_000, 1_800_000];
        Assert.Equal(300_000, NabRunner.DetectIntervalMs(times));
    }

    [Fact]
    public void Row_scores_do_not_depend_on_later_rows()
    {
        var (times, values) = Series(3000, 1);
        var full = NabRunner.ScoreRows(times, values);
        const int Cut = 2600;
        var truncated = NabRunner.ScoreRows(times[..Cut], values[..Cut]);
        for (var i = 0; i < Cut; i++)
        {
            Assert.Equal(full[i], truncated[i]);
        }

        Assert.True(full[2500] > 0.5, $"spike row scored {full[2500]}");
        foreach (var score in full)
        {
            Assert.InRange(score, 0.0, 1.0);
        }
    }
}
