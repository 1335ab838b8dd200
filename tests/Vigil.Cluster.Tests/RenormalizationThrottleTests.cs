using Vigil.Cluster.Jobs;

namespace Vigil.Cluster.Tests;

public sealed class RenormalizationThrottleTests
{
    private static readonly TimeSpan Pass = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void Big_change_waits_until_nine_times_the_last_pass_has_passed()
    {
        Assert.False(ResultRenormalizer.ShouldRun(true, TimeSpan.FromMilliseconds(500), Pass, settle: false));
        Assert.True(ResultRenormalizer.ShouldRun(true, TimeSpan.FromMilliseconds(1800), Pass, settle: false));
    }

    [Fact]
    public void Flush_or_close_runs_a_held_back_big_change_at_once()
    {
        Assert.True(ResultRenormalizer.ShouldRun(true, TimeSpan.FromMilliseconds(10), Pass, settle: true));
        Assert.False(ResultRenormalizer.ShouldRun(false, TimeSpan.FromMilliseconds(10), Pass, settle: true));
    }

    [Fact]
    public void Without_a_big_change_a_pass_runs_every_six_hours()
    {
        Assert.False(ResultRenormalizer.ShouldRun(false, TimeSpan.FromHours(5.9), Pass, settle: false));
        Assert.True(ResultRenormalizer.ShouldRun(false, TimeSpan.FromHours(6), Pass, settle: false));
    }
}
