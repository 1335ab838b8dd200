using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class PopulationTests
{
    [Fact]
    public void High_count_over_clientip_finds_the_outlying_person()
    {
        var spec = new AnalysisSpec(
            "pop", Gen.SpanMs, 0,
            [new DetectorSpec(0, "high_count", null, null, "clientip", null, false, null, "high_count over clientip")],
            ["clientip"], null, ["clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(11);
        var ips = new string[200];
        for (var i = 0; i < ips.Length; i++)
        {
            ips[i] = "10.0.0." + i;
        }

        for (var b = 0; b < 200; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < ips.Length; i++)
            {
                var n = b == 150 && i == 66 ? 80 : 1 + Gen.Poisson(random, 5);
                for (var k = 0; k < n; k++)
                {
                    pipeline.OnRecord(start + k, rec.Clear().Str(0, ips[i]).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var when = Gen.Start + (150 * Gen.SpanMs);
        var top = sink.Records.Where(r => r.Timestamp == when).OrderByDescending(r => r.RecordScore).First();
        Assert.Equal("10.0.0.66", top.OverFieldValue);
        Assert.Equal("clientip", top.OverFieldName);
        Assert.Null(top.Actual);
        var cause = Assert.Single(top.Causes!);
        Assert.Equal(80, cause.Actual![0]);
        Assert.Equal("10.0.0.66", cause.OverFieldValue);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
        Assert.Same(top, sink.Records.MaxBy(r => r.RecordScore));
        Assert.Equal("10.0.0.66", sink.Influencers.Where(i => i.Timestamp == when).MaxBy(i => i.InfluencerScore)!.InfluencerFieldValue);
        Assert.Equal(200, pipeline.OverFieldCount);
    }

    [Fact]
    public void Population_by_attribute_reports_the_attribute_as_cause()
    {
        var spec = new AnalysisSpec(
            "pop", Gen.SpanMs, 0,
            [new DetectorSpec(0, "high_mean", "bytes", "uri", "clientip", null, false, null, "high_mean(bytes) by uri over clientip")],
            [], null, ["bytes", "uri", "clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(3);
        var random = new Random(12);
        string[] uris = ["/a", "/b"];
        for (var b = 0; b < 120; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 100; i++)
            {
                foreach (var uri in uris)
                {
                    var mean = uri == "/a" ? 1000 : 50_000;
                    var bytes = b == 100 && i == 7 && uri == "/a" ? 40_000 : Gen.Normal(random, mean, mean * 0.1);
                    pipeline.OnRecord(start + i, rec.Clear().Num(0, bytes).Str(1, uri).Str(2, "ip" + i).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (100 * Gen.SpanMs), top.Timestamp);
        Assert.Equal("ip7", top.OverFieldValue);
        Assert.Equal("/a", top.Causes![0].ByFieldValue);
        Assert.Equal("uri", top.Causes![0].ByFieldName);
        Assert.Equal("uri", top.ByFieldName); // named at the top as ml-cpp does; the values are in the causes
        Assert.Null(top.ByFieldValue);
        Assert.Null(top.AnomalyScoreExplanation);
        Assert.Equal(2, pipeline.ByFieldCount);
    }
}
