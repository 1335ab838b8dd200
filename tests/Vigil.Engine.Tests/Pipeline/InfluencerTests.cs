using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class InfluencerTests
{
    [Fact]
    public void Complement_rule_names_the_host_whose_records_raised_the_mean()
    {
        var spec = Gen.Spec("mean", "responsetime", "airline", null, ["responsetime", "airline", "host"], influencers: ["airline", "host"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(3);
        var random = new Random(31);
        string[] hosts = ["web-1", "web-2", "web-3", "web-4"];
        for (var b = 0; b < 200; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 40; i++)
            {
                var host = hosts[i % hosts.Length];
                var slow = b == 180 && host == "web-3";
                pipeline.OnRecord(start + i, rec.Clear().Num(0, Gen.Normal(random, slow ? 260 : 100, 10)).Str(1, "AAL").Str(2, host).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var when = Gen.Start + (180 * Gen.SpanMs);
        var record = sink.Records.Where(r => r.Timestamp == when).MaxBy(r => r.RecordScore)!;
        var hostInfluence = Assert.Single(record.Influencers!, i => i.InfluencerFieldName == "host");
        Assert.Equal(["web-3"], hostInfluence.InfluencerFieldValues);
        Assert.Equal(["AAL"], Assert.Single(record.Influencers!, i => i.InfluencerFieldName == "airline").InfluencerFieldValues);
        var hostInfluencers = sink.Influencers.Where(i => i.Timestamp == when && i.InfluencerFieldName == "host").ToList();
        var topHost = hostInfluencers.MaxBy(i => i.InfluencerScore)!;
        Assert.Equal("web-3", topHost.InfluencerFieldValue);
        Assert.True(topHost.InfluencerScore > 50, $"influencer_score {topHost.InfluencerScore}");
        var bucket = sink.Buckets.Single(b => b.Timestamp == when);
        Assert.Equal(["bucket_time", "airline", "host"], bucket.BucketInfluencers.Select(bi => bi.InfluencerFieldName));
    }

    [Fact]
    public void Two_detectors_report_their_own_index_and_share_the_bucket()
    {
        var spec = new AnalysisSpec(
            "two", Gen.SpanMs, 0,
            [
                new DetectorSpec(0, "count", null, null, null, null, false, null, "count"),
                new DetectorSpec(1, "high_mean", "v", "k", null, null, false, null, "high_mean(v) by k"),
            ],
            [], null, ["v", "k"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(41);
        for (var b = 0; b < 150; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 30; i++)
            {
                var k = "k" + (i % 3);
                var v = b == 120 && k == "k2" ? 500 : Gen.Normal(random, 100, 5);
                pipeline.OnRecord(start + i, rec.Clear().Num(0, v).Str(1, k).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var when = Gen.Start + (120 * Gen.SpanMs);
        var top = sink.Records.Where(r => r.Timestamp == when).MaxBy(r => r.RecordScore)!;
        Assert.Equal(1, top.DetectorIndex);
        Assert.Equal("k2", top.ByFieldValue);
        Assert.Equal("high_mean", top.Function);
        Assert.Equal(sink.Buckets.MaxBy(b => b.AnomalyScore)!.Timestamp, when);
        Assert.DoesNotContain(sink.Records, r => r.DetectorIndex == 0 && r.Timestamp == when);
    }
}
