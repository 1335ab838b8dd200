using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class ScheduledEventTests
{
    private const int ShiftBucket = 150;

    [Fact]
    public void An_event_drops_the_records_of_the_buckets_it_covers_and_lists_itself_on_them()
    {
        // The event covers the spike bucket only; a spike two buckets later is outside it.
        var events = new[] { Event("sale", ShiftBucket, ShiftBucket + 1) };
        var sink = Run(events, shiftBuckets: [ShiftBucket, ShiftBucket + 2]);

        Assert.DoesNotContain(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket));
        Assert.Contains(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket + 2) && r.ByFieldValue == "a" && r.Probability < 1e-4);
        Assert.Equal(["sale"], sink.Buckets.Single(b => b.Timestamp == BucketTime(ShiftBucket)).ScheduledEvents);
        Assert.All(sink.Buckets.Where(b => b.Timestamp != BucketTime(ShiftBucket)), b => Assert.Empty(b.ScheduledEvents));
    }

    [Fact]
    public void Without_the_event_the_same_spike_is_found()
    {
        var sink = Run([], shiftBuckets: [ShiftBucket]);

        Assert.Contains(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket) && r.ByFieldValue == "a" && r.Probability < 1e-4);
    }

    [Fact]
    public void An_event_covers_every_bucket_it_overlaps_from_the_start_rounded_down_to_the_end_rounded_up()
    {
        // From 7 minutes into bucket 100 to 2 minutes into bucket 103: buckets 100, 101, 102 and 103.
        var e = new ScheduledEventSpec("partial", BucketTime(100) + 420_000, BucketTime(103) + 120_000);
        var sink = Run([e], shiftBuckets: []);

        var covered = sink.Buckets.Where(b => b.ScheduledEvents.Count > 0).Select(b => b.Timestamp).ToList();
        Assert.Equal([BucketTime(100), BucketTime(101), BucketTime(102), BucketTime(103)], covered);
        Assert.Equal((BucketTime(100) / 1000, BucketTime(104) / 1000), e.BucketWindow(Gen.SpanMs / 1000));
    }

    [Fact]
    public void Overlapping_events_are_all_listed_in_the_order_given()
    {
        var sink = Run([Event("first", 100, 102), Event("second", 101, 103)], shiftBuckets: []);

        Assert.Equal(["first"], sink.Buckets.Single(b => b.Timestamp == BucketTime(100)).ScheduledEvents);
        Assert.Equal(["first", "second"], sink.Buckets.Single(b => b.Timestamp == BucketTime(101)).ScheduledEvents);
        Assert.Equal(["second"], sink.Buckets.Single(b => b.Timestamp == BucketTime(102)).ScheduledEvents);
    }

    [Fact]
    public void The_model_does_not_learn_during_an_event_so_the_new_level_is_still_anomalous_after_it()
    {
        // Series a and b move to 400 for 12 buckets; the event covers the first 11 of them.
        var shifted = Enumerable.Range(ShiftBucket, 12).ToArray();
        var withEvent = Run([Event("outage", ShiftBucket, ShiftBucket + 11)], shifted);
        var without = Run([], shifted);
        var last = BucketTime(ShiftBucket + 11);

        var notLearned = Probability(withEvent, "a", last);
        var learned = Probability(without, "a", last);
        Assert.True(notLearned < 1e-6, $"after the event: p={notLearned}");
        Assert.True(learned > 1000 * notLearned, $"learned p={learned}, not learned p={notLearned}");
        Assert.DoesNotContain(withEvent.Records, r => r.Timestamp >= BucketTime(ShiftBucket) && r.Timestamp < last);
    }

    [Fact]
    public void Skip_result_false_keeps_the_records_and_skip_model_update_false_lets_the_model_learn()
    {
        var shifted = Enumerable.Range(ShiftBucket, 12).ToArray();
        var keepResults = Run([Event("keep results", ShiftBucket, ShiftBucket + 12, skipResult: false)], shifted);
        var labelOnly = Run([Event("label only", ShiftBucket, ShiftBucket + 12, skipResult: false, skipModelUpdate: false)], shifted);
        var without = Run([], shifted);
        var last = BucketTime(ShiftBucket + 11);

        // Records are kept; not learning keeps the 12th bucket anomalous.
        Assert.True(Probability(keepResults, "a", last) < 1e-6, $"p={Probability(keepResults, "a", last)}");

        // An event that skips nothing changes no result: only the buckets' scheduled_events differ.
        Assert.Equal(Describe(without), Describe(labelOnly));
        Assert.Equal(12, labelOnly.Buckets.Count(b => b.ScheduledEvents.SequenceEqual(["label only"])));
    }

    [Fact]
    public void Events_apply_to_every_detector_and_survive_a_change_of_the_custom_rules()
    {
        var spec = new AnalysisSpec(
            "events", Gen.SpanMs, 0,
            [
                new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean(v) by p"),
                new DetectorSpec(1, "high_mean", "v", null, null, null, false, null, "high_mean(v)"),
            ],
            [], null, ["v", "p"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        pipeline.SetScheduledEvents([Event("holiday", ShiftBucket, ShiftBucket + 1)]);

        // A job update replacing the (empty) custom rules keeps the events.
        pipeline.SetRules(0, [new DetectorRuleSpec(true, false, [], [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Lt, 0)])]);
        var sink = new CollectingSink();
        Feed(pipeline, sink, [ShiftBucket, ShiftBucket + 2]);

        Assert.DoesNotContain(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket));
        Assert.Contains(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket + 2) && r.DetectorIndex == 0);
        Assert.Contains(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket + 2) && r.DetectorIndex == 1);
        Assert.Single(pipeline.Detectors[0].Rules);
        Assert.Single(pipeline.Detectors[1].EventRules);
    }

    [Fact]
    public void Events_set_while_running_apply_from_the_next_bucket_and_can_be_removed()
    {
        var pipeline = new AnomalyDetectorPipeline(MeanByP());
        var sink = new CollectingSink();
        Feed(pipeline, sink, [ShiftBucket, ShiftBucket + 4], from: 0, to: ShiftBucket);
        pipeline.SetScheduledEvents([Event("late", ShiftBucket, ShiftBucket + 1), Event("removed", ShiftBucket + 4, ShiftBucket + 5)]);
        Feed(pipeline, sink, [ShiftBucket, ShiftBucket + 4], from: ShiftBucket, to: ShiftBucket + 2);
        pipeline.SetScheduledEvents([]);
        Feed(pipeline, sink, [ShiftBucket, ShiftBucket + 4], from: ShiftBucket + 2, to: ShiftBucket + 6);

        Assert.DoesNotContain(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket));
        Assert.Contains(sink.Records, r => r.Timestamp == BucketTime(ShiftBucket + 4) && r.ByFieldValue == "a" && r.Probability < 1e-4);
        Assert.Empty(sink.Buckets.Single(b => b.Timestamp == BucketTime(ShiftBucket + 4)).ScheduledEvents);
    }

    private static long BucketTime(int bucket) => Gen.Start + (bucket * Gen.SpanMs);

    private static ScheduledEventSpec Event(string description, int fromBucket, int toBucket, bool skipResult = true,
        bool skipModelUpdate = true) =>
        new(description, BucketTime(fromBucket), BucketTime(toBucket), skipResult, skipModelUpdate);

    private static AnalysisSpec MeanByP() => new(
        "events", Gen.SpanMs, 0,
        [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean(v) by p")],
        [], null, ["v", "p"], false);

    private static CollectingSink Run(ScheduledEventSpec[] events, int[] shiftBuckets)
    {
        var pipeline = new AnomalyDetectorPipeline(MeanByP());
        pipeline.SetScheduledEvents(events);
        var sink = new CollectingSink();
        Feed(pipeline, sink, shiftBuckets);
        return sink;
    }

    /// <summary>Series a and b, about 100 (sd 3), at 400 in the <paramref name="shiftBuckets"/>; seeded per bucket.</summary>
    private static void Feed(AnomalyDetectorPipeline pipeline, CollectingSink sink, int[] shiftBuckets, int from = 0, int to = ShiftBucket + 16)
    {
        var rec = new TestRecord(2);
        for (var b = from; b < to; b++)
        {
            var random = new Random(1000 + b);
            var start = BucketTime(b);
            var shifted = shiftBuckets.Contains(b);
            foreach (var series in (string[])["a", "b"])
            {
                for (var k = 0; k < 5; k++)
                {
                    var v = shifted ? Gen.Normal(random, 400, 3) : Gen.Normal(random, 100, 3);
                    pipeline.OnRecord(start + k, rec.Clear().Num(0, v).Str(1, series).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static double Probability(CollectingSink sink, string by, long time) =>
        sink.Records.FirstOrDefault(r => r.ByFieldValue == by && r.Timestamp == time)?.Probability ?? 1.0;

    private static string Describe(CollectingSink sink) => string.Join("\n",
        sink.Records.Select(r => $"{r.Timestamp} {r.ByFieldValue} {r.Probability:R} {r.RecordScore:R}")
            .Concat(sink.Buckets.Select(b => $"{b.Timestamp} {b.AnomalyScore:R} {b.EventCount}")));
}
