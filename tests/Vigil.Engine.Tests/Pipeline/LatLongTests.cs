using System.Globalization;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class LatLongTests
{
    [Fact]
    public void Lat_long_flags_a_login_far_from_home_with_geo_results()
    {
        var spec = Gen.Spec("lat_long", "location", "user", null, ["location", "user"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(61);
        for (var b = 0; b < 150; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 3; i++)
            {
                var lat = b == 120 ? -33.9 : Gen.Normal(random, 48.85, 0.05);
                var lon = b == 120 ? 151.2 : Gen.Normal(random, 2.35, 0.05);
                var text = string.Create(CultureInfo.InvariantCulture, $"{lat},{lon}");
                pipeline.OnRecord(start + i, rec.Clear().Str(0, text).Str(1, "bob").Fields);
            }

            pipeline.OnRecord(start + 10, rec.Clear().Str(0, "not a point").Str(1, "bob").Fields);
            pipeline.CloseBucket(start, sink);
        }

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (120 * Gen.SpanMs), top.Timestamp);
        Assert.Equal("lat_long", top.Function);
        Assert.Equal(2, top.Actual!.Count);
        Assert.Equal(-33.9, top.Actual[0], 6);
        Assert.Equal(151.2, top.Actual[1], 6);
        Assert.Equal(48.85, top.Typical![0], 0);
        Assert.StartsWith("-33.9", top.GeoResults!.ActualPoint, StringComparison.Ordinal);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
    }
}
