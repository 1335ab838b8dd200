using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class TimeFunctionTests
{
    [Fact]
    public void Time_of_day_flags_activity_at_an_unusual_hour()
    {
        var spec = Gen.Spec("time_of_day", null, "user", null, ["user"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(51);
        var day0 = (Gen.Start / 86_400_000L + 1) * 86_400_000L;
        for (var d = 0; d < 30; d++)
        {
            // Logins between 09:00 and 10:00 UTC; on day 25 one login at 03:00.
            var minute = random.Next(0, 60);
            var t = day0 + (d * 86_400_000L) + (9 * 3_600_000L) + (minute * 60_000L);
            if (d == 25)
            {
                t = day0 + (d * 86_400_000L) + (3 * 3_600_000L);
            }

            // As the job processor does: a record closes every bucket before its own (empty ones included).
            var bucket = t - (t % Gen.SpanMs);
            if (d > 0)
            {
                pipeline.CloseBucket(bucket - Gen.SpanMs, sink);
            }

            pipeline.OnRecord(t, rec.Clear().Str(0, "alice").Fields);
        }

        Assert.True(sink.Buckets.Count > 25 * 144, "empty buckets in gaps are closed too");
        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal("time_of_day", top.Function);
        Assert.Equal(10_800, top.Actual![0]);
        Assert.Equal(day0 + (25 * 86_400_000L) + (3 * 3_600_000L), top.Timestamp);
    }
}
