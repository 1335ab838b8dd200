using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class FreqRareTests
{
    private const int AnomalyBucket = 100;

    [Fact]
    public void Freq_rare_scores_the_client_hammering_a_uri_nobody_uses_as_the_top_record()
    {
        var sink = Run("freq_rare", anomalies: true);

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (AnomalyBucket * Gen.SpanMs), top.Timestamp);
        Assert.Equal("c7", top.OverFieldValue);
        Assert.Equal("clientip", top.OverFieldName);
        Assert.Null(top.ByFieldValue);
        Assert.Null(top.Actual);
        Assert.Equal("freq_rare", top.Function);
        Assert.Equal("rare", top.FunctionDescription);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
        var cause = Assert.Single(top.Causes!);
        Assert.Equal("/admin/secret", cause.ByFieldValue);
        Assert.Equal("uri", cause.ByFieldName);
        Assert.Equal("freq_rare", cause.Function);
        Assert.Equal("rare", cause.FunctionDescription);
        Assert.Equal(new[] { 40.0 }, cause.Actual!);
        Assert.Equal(new[] { 0.0 }, cause.Typical!);
    }

    [Fact]
    public void Freq_rare_discounts_a_single_touch_of_an_unseen_uri_that_rare_flags()
    {
        // c9 touches /old/backup once amid its usual traffic in the same bucket as c7's hammering: as rare as
        // c7's URI in the population, but a small part of what c9 did.
        var rare = Run("rare", anomalies: true);
        var freqRare = Run("freq_rare", anomalies: true);
        var at = Gen.Start + (AnomalyBucket * Gen.SpanMs);

        var flagged = Assert.Single(rare.Records, r => r.Timestamp == at && r.OverFieldValue == "c9");
        Assert.Contains(flagged.Causes!, c => c.ByFieldValue == "/old/backup");
        Assert.True(flagged.Probability < 0.01, $"rare probability {flagged.Probability}");
        Assert.DoesNotContain(freqRare.Records, r => r.Timestamp == at && r.OverFieldValue == "c9");
        Assert.Contains(freqRare.Records, r => r.Timestamp == at && r.OverFieldValue == "c7");
    }

    [Fact]
    public void Freq_rare_on_a_clean_population_scores_nothing_above_25_after_warm_up()
    {
        var sink = Run("freq_rare", anomalies: false);

        Assert.NotEmpty(sink.Buckets);
        var afterWarmUp = Gen.Start + (20 * Gen.SpanMs);
        Assert.DoesNotContain(sink.Records, r => r.Timestamp >= afterWarmUp && r.RecordScore > 25);
    }

    [Fact]
    public void Freq_rare_needs_twenty_buckets_of_history_before_it_scores()
    {
        var sink = Run("freq_rare", anomalies: true, buckets: 19, anomalyBucket: 15);

        Assert.Empty(sink.Records);
        Assert.Equal(19, sink.Buckets.Count);
    }

    /// <summary>
    /// 50 clients; each bucket a client uses 2 or 3 of 10 pages, 1 + Poisson(5) hits each. With anomalies, at the
    /// anomaly bucket c7 only hammers /admin/secret (40 hits) and c9 adds one hit on /old/backup to its usual traffic.
    /// </summary>
    private static CollectingSink Run(string function, bool anomalies, int buckets = 120, int anomalyBucket = AnomalyBucket)
    {
        var spec = new AnalysisSpec(
            "f", Gen.SpanMs, 0, [new DetectorSpec(0, function, null, "uri", "clientip", null, false, null, function + " by uri over clientip")],
            ["clientip"], null, ["uri", "clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(404);
        for (var b = 0; b < buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var anomalous = anomalies && b == anomalyBucket;
            for (var c = 0; c < 50; c++)
            {
                var client = "c" + c;
                if (anomalous && c == 7)
                {
                    for (var i = 0; i < 40; i++)
                    {
                        pipeline.OnRecord(start + i, rec.Clear().Str(0, "/admin/secret").Str(1, client).Fields);
                    }

                    continue;
                }

                var pages = 2 + random.Next(0, 2);
                for (var k = 0; k < pages; k++)
                {
                    var uri = "/page/" + random.Next(0, 10);
                    var hits = 1 + Gen.Poisson(random, 5);
                    for (var i = 0; i < hits; i++)
                    {
                        pipeline.OnRecord(start + c, rec.Clear().Str(0, uri).Str(1, client).Fields);
                    }
                }

                if (anomalous && c == 9)
                {
                    pipeline.OnRecord(start + 99, rec.Clear().Str(0, "/old/backup").Str(1, client).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        return sink;
    }
}
