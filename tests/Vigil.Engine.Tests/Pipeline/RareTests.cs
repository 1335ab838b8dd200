using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class RareTests
{
    [Fact]
    public void Rare_by_process_flags_a_new_process_as_the_top_record()
    {
        var spec = Gen.Spec("rare", null, "process", null, ["process"], influencers: ["process"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(21);
        for (var b = 0; b < 150; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var p = 0; p < 10; p++)
            {
                if (random.NextDouble() < 0.3 + (0.07 * p))
                {
                    pipeline.OnRecord(start + p, rec.Clear().Str(0, "proc-" + p).Fields);
                }
            }

            if (b == 100 || b == 130)
            {
                pipeline.OnRecord(start + 50, rec.Clear().Str(0, "evil.exe").Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var first = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal("evil.exe", first.ByFieldValue);
        Assert.Equal(Gen.Start + (100 * Gen.SpanMs), first.Timestamp);
        Assert.Equal("rare", first.Function);
        Assert.True(first.AnomalyScoreExplanation!.ByFieldFirstOccurrence);
        Assert.True(first.RecordScore > 50, $"record_score {first.RecordScore}");
        var second = Assert.Single(sink.Records, r => r.ByFieldValue == "evil.exe" && r.Timestamp == Gen.Start + (130 * Gen.SpanMs));
        Assert.False(second.AnomalyScoreExplanation!.ByFieldFirstOccurrence);
        Assert.True(second.Probability > first.Probability);
        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue != "evil.exe" && r.RecordScore > 25);
    }

    [Fact]
    public void Population_rare_reports_the_client_using_a_uri_nobody_uses()
    {
        var spec = new AnalysisSpec(
            "r", Gen.SpanMs, 0, [new DetectorSpec(0, "rare", null, "uri", "clientip", null, false, null, "rare by uri over clientip")],
            ["clientip"], null, ["uri", "clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(71);
        for (var b = 0; b < 120; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var c = 0; c < 50; c++)
            {
                var uri = "/page/" + random.Next(0, 10);
                pipeline.OnRecord(start + c, rec.Clear().Str(0, uri).Str(1, "c" + c).Fields);
            }

            if (b == 100)
            {
                pipeline.OnRecord(start + 99, rec.Clear().Str(0, "/admin/secret").Str(1, "c7").Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (100 * Gen.SpanMs), top.Timestamp);
        Assert.Equal("c7", top.OverFieldValue);
        Assert.Equal("rare", top.Function);
        var cause = Assert.Single(top.Causes!);
        Assert.Equal("/admin/secret", cause.ByFieldValue);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
        Assert.DoesNotContain(sink.Records, r => r.Timestamp != top.Timestamp && r.RecordScore > 25);
    }
}
