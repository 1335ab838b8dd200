using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class ExcludeFrequentTests
{
    private const int SpikeBucket = 150;

    [Theory]
    [InlineData(null, true)]
    [InlineData("none", true)]
    [InlineData("over", true)] // no over field: a no-op, as in ml-cpp
    [InlineData("by", false)]
    [InlineData("all", false)]
    [InlineData("BY", false)]
    public void Exclude_frequent_on_a_by_detector_drops_by_values_present_in_most_buckets(string? setting, bool frequentReported)
    {
        var spec = new AnalysisSpec(
            "x", Gen.SpanMs, 0, [new DetectorSpec(0, "count", null, "host", null, null, false, setting, "count by host")], [], null, ["host"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(90);
        for (var b = 0; b < 170; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var spike = b == SpikeBucket;
            var always = spike ? 300 : Gen.Poisson(random, 20);
            for (var i = 0; i < always; i++)
            {
                pipeline.OnRecord(start + i, rec.Clear().Str(0, "always").Fields);
            }

            // "seldom" is in about 4% of the buckets.
            var seldom = spike ? 300 : random.NextDouble() < 0.04 ? Gen.Poisson(random, 20) : 0;
            for (var i = 0; i < seldom; i++)
            {
                pipeline.OnRecord(start + i, rec.Clear().Str(0, "seldom").Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var at = Gen.Start + (SpikeBucket * Gen.SpanMs);
        Assert.Contains(sink.Records, r => r.Timestamp == at && r.ByFieldValue == "seldom");
        if (frequentReported)
        {
            Assert.Contains(sink.Records, r => r.Timestamp == at && r.ByFieldValue == "always");
        }
        else
        {
            Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "always");
        }
    }

    [Theory]
    [InlineData(null, true, true)]
    [InlineData("none", true, true)]
    [InlineData("by", true, false)]
    [InlineData("over", false, true)]
    [InlineData("all", false, false)]
    public void Exclude_frequent_on_a_population_detector_drops_frequent_people_and_attributes(string? setting, bool frequentPeopleReported,
        bool frequentAttributeReported)
    {
        // 100 clients c* in every bucket, each hitting /common and its own /page/(c mod 20), and 24 of 600 seldom
        // clients w* (4% of buckets each) doing the same: 35 of ~700 people per page. At the spike bucket: c5
        // hammers /common, c6 hammers /page/6, and two clients never seen before, v1 and v2, hammer /common and
        // /page/7. /common is used by everyone (frequent across the population); every c* client is in every
        // bucket (frequent over time). The seldom clients keep the models learning when frequent ones are excluded.
        var spec = new AnalysisSpec(
            "x", Gen.SpanMs, 0, [new DetectorSpec(0, "count", null, "uri", "clientip", null, false, setting, "count by uri over clientip")],
            [], null, ["uri", "clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(17);
        for (var b = 0; b < 160; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var spike = b == SpikeBucket;
            for (var c = 0; c < 100; c++)
            {
                var client = "c" + c;
                Hit(pipeline, rec, start, "/common", client, 1 + Gen.Poisson(random, 3) + (spike && c == 5 ? 100 : 0));
                Hit(pipeline, rec, start, "/page/" + (c % 20), client, 1 + Gen.Poisson(random, 3) + (spike && c == 6 ? 100 : 0));
            }

            for (var i = 0; i < 24; i++)
            {
                var w = random.Next(0, 600);
                Hit(pipeline, rec, start, "/common", "w" + w, 1 + Gen.Poisson(random, 3));
                Hit(pipeline, rec, start, "/page/" + (w % 20), "w" + w, 1 + Gen.Poisson(random, 3));
            }

            if (spike)
            {
                Hit(pipeline, rec, start, "/common", "v1", 100);
                Hit(pipeline, rec, start, "/page/7", "v2", 100);
            }

            pipeline.CloseBucket(start, sink);
        }

        var at = Gen.Start + (SpikeBucket * Gen.SpanMs);
        Assert.True(Reported(sink, at, "v2", "/page/7"), "the infrequent person on an infrequent attribute is always reported");
        Assert.Equal(frequentPeopleReported && frequentAttributeReported, Reported(sink, at, "c5", "/common"));
        Assert.Equal(frequentPeopleReported, Reported(sink, at, "c6", "/page/6"));
        Assert.Equal(frequentAttributeReported, Reported(sink, at, "v1", "/common"));
        if (!frequentPeopleReported)
        {
            Assert.DoesNotContain(sink.Records, r => r.OverFieldValue!.StartsWith('c'));
        }

        if (!frequentAttributeReported)
        {
            Assert.DoesNotContain(sink.Records, r => r.Causes!.Any(c => c.ByFieldValue == "/common"));
        }
    }

    [Fact]
    public void Exclude_frequent_over_drops_frequent_people_from_population_rare()
    {
        // rare by uri over clientip: a regular client and a first-time visitor both use a URI nobody used before.
        var spec = new AnalysisSpec(
            "x", Gen.SpanMs, 0, [new DetectorSpec(0, "rare", null, "uri", "clientip", null, false, "over", "rare by uri over clientip")],
            [], null, ["uri", "clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(5);
        for (var b = 0; b < 120; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var c = 0; c < 30; c++)
            {
                Hit(pipeline, rec, start, "/page/" + random.Next(0, 10), "c" + c, 1);
            }

            if (b == 100)
            {
                Hit(pipeline, rec, start, "/admin/a", "c3", 1);
                Hit(pipeline, rec, start, "/admin/b", "visitor", 1);
            }

            pipeline.CloseBucket(start, sink);
        }

        var at = Gen.Start + (100 * Gen.SpanMs);
        Assert.Contains(sink.Records, r => r.Timestamp == at && r.OverFieldValue == "visitor");
        Assert.DoesNotContain(sink.Records, r => r.OverFieldValue == "c3");
    }

    [Fact]
    public void Unknown_exclude_frequent_value_is_rejected()
    {
        var spec = new AnalysisSpec(
            "x", Gen.SpanMs, 0, [new DetectorSpec(0, "count", null, "host", null, null, false, "some", "count by host")], [], null, ["host"], false);

        Assert.Throws<ArgumentException>(() => new AnomalyDetectorPipeline(spec));
    }

    private static void Hit(AnomalyDetectorPipeline pipeline, TestRecord rec, long start, string uri, string client, int n)
    {
        for (var i = 0; i < n; i++)
        {
            pipeline.OnRecord(start + i, rec.Clear().Str(0, uri).Str(1, client).Fields);
        }
    }

    private static bool Reported(CollectingSink sink, long at, string client, string uri)
    {
        foreach (var r in sink.Records)
        {
            if (r.Timestamp == at && r.OverFieldValue == client && r.Causes!.Any(c => c.ByFieldValue == uri))
            {
                return true;
            }
        }

        return false;
    }
}
