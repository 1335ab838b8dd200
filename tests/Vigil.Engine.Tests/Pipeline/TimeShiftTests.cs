using System.Buffers;
using System.Buffers.Binary;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Tests.Analysis;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>
/// The <c>force_time_shift</c> action: a series with a daily shape in local time whose clock moves forward by one hour
/// (daylight saving time) at bucket <see cref="JumpBucket"/>.
/// </summary>
public sealed class TimeShiftTests
{
    private const long SpanMs = 3_600_000;
    private const long Start = 1_699_999_200_000; // aligned to the hour
    private const int JumpBucket = 21 * 24;
    private const int EndBucket = JumpBucket + (4 * 24);
    private const long ShiftSeconds = 3600;

    private static long BucketTime(int bucket) => Start + (bucket * SpanMs);

    private static DetectorRuleSpec ShiftRule() =>
        new(false, false, [], [new RuleConditionSpec(RuleTarget.Time, RuleOperator.Gte, BucketTime(JumpBucket) / 1000)], ShiftSeconds);

    [Fact]
    public void Without_a_time_shift_the_hour_jump_scores_as_anomalous_every_day()
    {
        var sink = Run(null, []);

        var after = MinProbabilityAfterJump(sink);
        Assert.True(after < 0.01, $"min p after the jump without a shift: {after}");
        Assert.True(sink.Records.Count(r => r.Timestamp >= BucketTime(JumpBucket)) >= 2);
    }

    [Fact]
    public void A_force_time_shift_rule_at_the_jump_lines_the_daily_profile_up_with_local_time_again()
    {
        var pipeline = Pipeline();
        pipeline.SetRules(0, [ShiftRule()]);
        var sink = new CollectingSink();
        Feed(pipeline, sink, 0, EndBucket);

        var withShift = MinProbabilityAfterJump(sink);
        var without = MinProbabilityAfterJump(Run(null, []));
        Assert.True(withShift > 0.05, $"min p after the jump with the shift: {withShift}");
        Assert.True(withShift > 10 * without, $"with {withShift}, without {without}");

        // The rule's condition holds for every later bucket, yet the models' time moved once.
        Assert.Equal(ShiftSeconds * 1000, pipeline.Detectors[0].Stores[0].TimeShiftMs);
        Assert.Single(pipeline.Detectors[0].AppliedTimeShifts);
    }

    [Fact]
    public void The_shift_leaves_the_results_before_the_jump_and_the_other_actions_alone()
    {
        var with = Run([ShiftRule()], []);
        var without = Run(null, []);

        // Up to the jump the runs are identical, and the shifted bucket still has its result (no skip action).
        Assert.Equal(Describe(without, JumpBucket), Describe(with, JumpBucket));
        Assert.Equal(without.Buckets.Count, with.Buckets.Count);
    }

    [Fact]
    public void A_scheduled_event_with_force_time_shift_shifts_as_the_rule_does()
    {
        var dst = new ScheduledEventSpec("dst", BucketTime(JumpBucket), BucketTime(JumpBucket) + 1000, SkipResult: false,
            SkipModelUpdate: false, ForceTimeShift: (int)ShiftSeconds);
        var events = Run(null, [dst]);
        var rule = Run([ShiftRule()], []);

        Assert.Equal(Describe(rule, EndBucket), Describe(events, EndBucket));
        Assert.Equal(["dst"], events.Buckets.Single(b => b.Timestamp == BucketTime(JumpBucket)).ScheduledEvents);
    }

    [Fact]
    public void Saving_and_loading_after_the_shift_does_not_apply_it_again()
    {
        var spec = Spec([ShiftRule()]);
        var whole = new AnomalyDetectorPipeline(spec);
        var wholeSink = new CollectingSink();
        Feed(whole, wholeSink, 0, EndBucket);

        var first = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        Feed(first, sink, 0, JumpBucket + 5);
        var buffer = new ArrayBufferWriter<byte>();
        first.Save(buffer);
        var restored = AnomalyDetectorPipeline.Load(spec, buffer.WrittenSpan);
        Assert.Equal(ShiftSeconds * 1000, restored.Detectors[0].Stores[0].TimeShiftMs);

        // The same rule arrives again (the job reopens with its configuration) and its condition still holds.
        restored.SetRules(0, [ShiftRule()]);
        Feed(restored, sink, JumpBucket + 5, EndBucket);

        Assert.Equal(ShiftSeconds * 1000, restored.Detectors[0].Stores[0].TimeShiftMs);
        Assert.Equal(Describe(wholeSink, EndBucket), Describe(sink, EndBucket));
    }

    [Fact]
    public void Interim_results_at_the_jump_do_not_apply_the_shift_for_good()
    {
        var plain = Run([ShiftRule()], []);
        var pipeline = Pipeline();
        pipeline.SetRules(0, [ShiftRule()]);
        var sink = new CollectingSink();
        Feed(pipeline, sink, 0, EndBucket, interimAt: JumpBucket);

        Assert.Equal(ShiftSeconds * 1000, pipeline.Detectors[0].Stores[0].TimeShiftMs);
        Assert.Equal(Describe(plain, EndBucket), Describe(sink, EndBucket, finalOnly: true));
    }

    [Fact]
    public void Two_shift_rules_add_up_and_identical_rules_each_apply_once()
    {
        var pipeline = Pipeline();
        pipeline.SetRules(0, [ShiftRule(), ShiftRule() with { ForceTimeShiftSeconds = -1800 }, ShiftRule()]);
        Feed(pipeline, new CollectingSink(), JumpBucket - 2, JumpBucket + 3);

        Assert.Equal((3600 - 1800 + 3600) * 1000L, pipeline.Detectors[0].Stores[0].TimeShiftMs);
        Assert.Equal(3, pipeline.Detectors[0].AppliedTimeShifts.Count);

        // Replacing the rules with the same ones (a job update) applies nothing again; a new amount is a new rule.
        pipeline.SetRules(0, [ShiftRule(), ShiftRule() with { ForceTimeShiftSeconds = 60 }]);
        Feed(pipeline, new CollectingSink(), JumpBucket + 3, JumpBucket + 5);
        Assert.Equal((3600 - 1800 + 3600 + 60) * 1000L, pipeline.Detectors[0].Stores[0].TimeShiftMs);
    }

    [Fact]
    public void A_model_snapshot_keeps_the_time_shift_and_a_version_5_snapshot_loads_unshifted()
    {
        var options = new SeriesModelOptions { BucketSpanMs = SpanMs };
        var store = new SeriesModelStore(options);
        var s = store.Add();
        var random = new Random(5);
        for (var b = 0; b < 200; b++)
        {
            store.ScoreThenUpdate(s, BucketTime(b), Value(random, b, 0), 1, Tail.TwoSided);
        }

        store.ShiftTime(ShiftSeconds * 1000);
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var snapshot = buffer.WrittenSpan.ToArray();
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(4)));

        var loaded = SeriesModelStore.Load(snapshot, options);
        Assert.Equal(ShiftSeconds * 1000, loaded.TimeShiftMs);
        var a = store.ScoreThenUpdate(s, BucketTime(200), 150, 1, Tail.TwoSided);
        var b2 = loaded.ScoreThenUpdate(s, BucketTime(200), 150, 1, Tail.TwoSided);
        Assert.Equal(a, b2);

        var v5 = SeriesModelStore.Load(SnapshotVersions.ToVersion5(snapshot, store.Count, store.BytesPerSeriesColumns), options);
        Assert.Equal(0, v5.TimeShiftMs);
        Assert.Equal(store.Count, v5.Count);
    }

    /// <summary>The daily shape in local time (local = UTC + offset): 100 plus a bump of 200 at noon (sd 1.5 hours), noise sd 3.</summary>
    private static double Value(Random random, int bucket, long offsetMs)
    {
        var local = BucketTime(bucket) + offsetMs;
        var hour = (double)((((local % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000);
        return Gen.Normal(random, 100 + (200 * Math.Exp(-0.5 * Math.Pow((hour - 12) / 1.5, 2))), 3);
    }

    private static AnalysisSpec Spec(IReadOnlyList<DetectorRuleSpec>? rules) => new(
        "dst", SpanMs, 0, [new DetectorSpec(0, "mean", "v", null, null, null, false, null, "mean(v)", rules)], [], null, ["v"], false);

    private static AnomalyDetectorPipeline Pipeline() => new(Spec(null));

    private static CollectingSink Run(DetectorRuleSpec[]? rules, ScheduledEventSpec[] events)
    {
        var pipeline = Pipeline();
        if (rules is not null)
        {
            pipeline.SetRules(0, rules);
        }

        pipeline.SetScheduledEvents(events);
        var sink = new CollectingSink();
        Feed(pipeline, sink, 0, EndBucket);
        return sink;
    }

    /// <summary>Three records a bucket; local time is UTC until <see cref="JumpBucket"/>, UTC + 1 hour from it; seeded per bucket.</summary>
    private static void Feed(AnomalyDetectorPipeline pipeline, CollectingSink sink, int from, int to, int interimAt = -1)
    {
        var rec = new TestRecord(1);
        for (var b = from; b < to; b++)
        {
            var random = new Random(1000 + b);
            var start = BucketTime(b);
            var offset = b >= JumpBucket ? ShiftSeconds * 1000 : 0;
            for (var k = 0; k < 3; k++)
            {
                pipeline.OnRecord(start + (k * 60_000), rec.Clear().Num(0, Value(random, b, offset)).Fields);
            }

            if (b == interimAt)
            {
                pipeline.EmitInterim(start, sink);
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static double MinProbabilityAfterJump(CollectingSink sink)
    {
        var min = 1.0;
        foreach (var r in sink.Records)
        {
            if (r.Timestamp >= BucketTime(JumpBucket) && !r.IsInterim)
            {
                min = Math.Min(min, r.Probability);
            }
        }

        return min;
    }

    private static string Describe(CollectingSink sink, int toBucket, bool finalOnly = false) => string.Join("\n",
        sink.Records.Where(r => r.Timestamp < BucketTime(toBucket) && (!finalOnly || !r.IsInterim))
            .Select(r => $"{r.Timestamp} {r.Probability:R} {r.RecordScore:R}")
            .Concat(sink.Buckets.Where(b => b.Timestamp < BucketTime(toBucket) && (!finalOnly || !b.IsInterim))
                .Select(b => $"{b.Timestamp} {b.AnomalyScore:R}")));
}
