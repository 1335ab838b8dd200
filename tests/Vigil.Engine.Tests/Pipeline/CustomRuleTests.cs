using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class CustomRuleTests
{
    private const int SpikeBucket = 150;

    [Fact]
    public void Scoped_skip_result_drops_the_series_in_the_filter_and_keeps_the_others()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("p", "f", true, ["a"])], []);
        var sink = RunMeanByP(rule, spikeLength: 1);

        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp == SpikeTime);
        Assert.Contains(sink.Records, r => r.ByFieldValue == "b" && r.Timestamp == SpikeTime && r.Probability < 1e-4);
    }

    [Fact]
    public void Exclude_scope_applies_the_rule_to_the_series_not_in_the_filter()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("p", "f", false, ["a"])], []);
        var sink = RunMeanByP(rule, spikeLength: 1);

        Assert.Contains(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp == SpikeTime && r.Probability < 1e-4);
        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "b");
    }

    [Fact]
    public void Scoped_rule_with_a_condition_needs_both_scope_and_condition()
    {
        // Skip results of series a only when the actual value is below 300: a's spike (400) stays.
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("p", "f", true, ["a"])],
            [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Lt, 300)]);
        var sink = RunMeanByP(rule, spikeLength: 1);

        Assert.Contains(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp == SpikeTime && r.Probability < 1e-4);
        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp != SpikeTime);
    }

    [Fact]
    public void Skip_model_update_keeps_the_model_from_learning_a_new_level_so_it_stays_anomalous()
    {
        // Both series shift from 100 to 400 for 12 buckets; only a is in the rule's scope.
        var rule = new DetectorRuleSpec(false, true, [new RuleScopeSpec("p", "f", true, ["a"])],
            [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Gt, 300)]);
        var withRule = RunMeanByP(rule, spikeLength: 12);
        var without = RunMeanByP(null, spikeLength: 12);
        var late = Gen.Start + ((SpikeBucket + 11) * Gen.SpanMs);

        // a, not learned: the 12th bucket at 400 is as anomalous as the first.
        var aLate = Probability(withRule, "a", late);
        Assert.True(aLate < 1e-6, $"a at the 12th shifted bucket: p={aLate}");

        // Without the rule the model learns the new level, and b (out of scope) learns it with the rule too.
        var learned = Probability(without, "a", late);
        var bLate = Probability(withRule, "b", late);
        Assert.True(learned > 1000 * aLate, $"learned p={learned}, not learned p={aLate}");
        Assert.Equal(Probability(without, "b", late), bLate);
    }

    [Fact]
    public void Skip_model_update_on_typical_is_decided_with_the_prediction_before_learning()
    {
        // diff_from_typical > 150: the shifted buckets are 300 away from what the model predicted, so none is learned.
        var rule = new DetectorRuleSpec(false, true, [], [new RuleConditionSpec(RuleTarget.DiffFromTypical, RuleOperator.Gt, 150)]);
        var sink = RunMeanByP(rule, spikeLength: 12);
        var late = Gen.Start + ((SpikeBucket + 11) * Gen.SpanMs);

        var record = sink.Records.Single(r => r.ByFieldValue == "a" && r.Timestamp == late);
        Assert.True(record.Probability < 1e-6, $"p={record.Probability}");
        Assert.InRange(record.Typical![0], 90, 115);
    }

    [Fact]
    public void Updating_a_filter_moves_the_scope_to_the_new_items()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("p", "f", true, ["a"])], []);
        var spec = MeanByP(rule);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        Feed(pipeline, sink, 0, SpikeBucket, 1);
        pipeline.UpdateFilter("f", ["b"]);
        Feed(pipeline, sink, SpikeBucket, SpikeBucket + 5, 1);

        Assert.Contains(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp == SpikeTime);
        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "b" && r.Timestamp == SpikeTime);
    }

    [Fact]
    public void Scopes_are_worked_out_again_after_a_state_round_trip()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("p", "f", true, ["a"])], []);
        var spec = MeanByP(rule);
        var first = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        Feed(first, sink, 0, SpikeBucket, 1);
        var state = new ArrayBufferWriter<byte>();
        first.Save(state);
        var restored = AnomalyDetectorPipeline.Load(spec, state.WrittenSpan);
        Feed(restored, sink, SpikeBucket, SpikeBucket + 5, 1);

        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "a" && r.Timestamp == SpikeTime);
        Assert.Contains(sink.Records, r => r.ByFieldValue == "b" && r.Timestamp == SpikeTime);
    }

    [Fact]
    public void Population_skip_result_scoped_on_the_over_field_drops_that_person()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("clientip", "f", true, ["10.0.0.66"])], []);
        var with = RunPopulation(rule, outliers: 1, shiftLength: 1);
        var without = RunPopulation(null, outliers: 1, shiftLength: 1);
        var when = Gen.Start + (SpikeBucket * Gen.SpanMs);

        Assert.Contains(without.Records, r => r.Timestamp == when && r.OverFieldValue == "10.0.0.66" && r.Probability < 1e-4);
        Assert.DoesNotContain(with.Records, r => r.OverFieldValue == "10.0.0.66");
    }

    [Fact]
    public void Population_skip_model_update_keeps_the_population_model_from_learning_the_people_in_scope()
    {
        // 30 of 200 people always have about 60 events per bucket, the others about 5. Unless the rule keeps the 30 from
        // the population model, the model learns that 60 is common and they are hardly anomalous.
        var scoped = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            scoped.Add("10.0.0." + i.ToString(CultureInfo.InvariantCulture));
        }

        var rule = new DetectorRuleSpec(false, true, [new RuleScopeSpec("clientip", "f", true, scoped)],
            [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Gt, 30)]);
        var with = RunPopulation(rule, outliers: 30, shiftLength: 20, shiftStart: 0);
        var without = RunPopulation(null, outliers: 30, shiftLength: 20, shiftStart: 0);
        var late = Gen.Start + (19 * Gen.SpanMs);

        var pWith = MinProbability(with, late);
        var pWithout = MinProbability(without, late);
        Assert.True(pWith < 1e-6, $"with the rule: p={pWith}");
        Assert.True(pWithout > 1000 * pWith, $"without {pWithout}, with {pWith}");
    }

    [Fact]
    public void Rare_skip_result_scoped_on_the_by_field_drops_that_value()
    {
        var spec = new AnalysisSpec(
            "rare", Gen.SpanMs, 0,
            [new DetectorSpec(0, "rare", null, "status", null, null, false, null, "rare by status",
                [new DetectorRuleSpec(true, false, [new RuleScopeSpec("status", "f", true, ["503"])], [])])],
            [], null, ["status"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        for (var b = 0; b < 100; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var k = 0; k < 20; k++)
            {
                pipeline.OnRecord(start + k, rec.Clear().Str(0, "200").Fields);
            }

            if (b == 80)
            {
                pipeline.OnRecord(start + 30, rec.Clear().Str(0, "503").Fields);
                pipeline.OnRecord(start + 31, rec.Clear().Str(0, "504").Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        Assert.Contains(sink.Records, r => r.ByFieldValue == "504");
        Assert.DoesNotContain(sink.Records, r => r.ByFieldValue == "503");
    }

    [Fact]
    public void Rules_give_the_same_results_whatever_the_number_of_scoring_threads()
    {
        const int series = DetectorState.ParallelSeriesThreshold + 1500;
        var names = new string[series];
        var inScope = new List<string>();
        for (var s = 0; s < series; s++)
        {
            names[s] = "p" + s.ToString(CultureInfo.InvariantCulture);
            if (s % 3 == 0)
            {
                inScope.Add(names[s]);
            }
        }

        var rules = new List<DetectorRuleSpec>
        {
            new(false, true, [new RuleScopeSpec("p", "f", true, inScope)], [new RuleConditionSpec(RuleTarget.DiffFromTypical, RuleOperator.Gt, 100)]),
            new(true, false, [new RuleScopeSpec("p", "f", false, inScope)], [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Lt, 300)]),
        };
        var spec = new AnalysisSpec("p", Gen.SpanMs, 0, [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean", rules)],
            ["p"], null, ["v", "p"], false);
        var single = new AnomalyDetectorPipeline(spec) { ScoringThreads = 1 };
        var parallel = new AnomalyDetectorPipeline(spec) { ScoringThreads = 4 };
        var a = new CollectingSink();
        var b = new CollectingSink();
        FeedMany(single, a, names);
        FeedMany(parallel, b, names);

        Assert.NotEmpty(a.Records);
        Assert.Equal(Json(a), Json(b));
    }

    private static long SpikeTime => Gen.Start + (SpikeBucket * Gen.SpanMs);

    private static AnalysisSpec MeanByP(DetectorRuleSpec? rule) => new(
        "rules", Gen.SpanMs, 0,
        [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean(v) by p", rule is null ? null : [rule])],
        [], null, ["v", "p"], false);

    private static CollectingSink RunMeanByP(DetectorRuleSpec? rule, int spikeLength)
    {
        var pipeline = new AnomalyDetectorPipeline(MeanByP(rule));
        var sink = new CollectingSink();
        Feed(pipeline, sink, 0, SpikeBucket + spikeLength + 3, spikeLength);
        return sink;
    }

    /// <summary>Series a and b, about 100 (sd 3), both at 400 from <see cref="SpikeBucket"/> for <paramref name="spikeLength"/> buckets.</summary>
    private static void Feed(AnomalyDetectorPipeline pipeline, CollectingSink sink, int from, int to, int spikeLength)
    {
        var rec = new TestRecord(2);
        for (var b = from; b < to; b++)
        {
            var random = new Random(1000 + b);
            var start = Gen.Start + (b * Gen.SpanMs);
            var shifted = b >= SpikeBucket && b < SpikeBucket + spikeLength;
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

    private static CollectingSink RunPopulation(DetectorRuleSpec? rule, int outliers, int shiftLength, int shiftStart = SpikeBucket)
    {
        var spec = new AnalysisSpec(
            "pop", Gen.SpanMs, 0,
            [new DetectorSpec(0, "high_count", null, null, "clientip", null, false, null, "high_count over clientip", rule is null ? null : [rule])],
            [], null, ["clientip"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(11);
        var ips = new string[200];
        for (var i = 0; i < ips.Length; i++)
        {
            ips[i] = "10.0.0." + i.ToString(CultureInfo.InvariantCulture);
        }

        for (var b = 0; b < shiftStart + shiftLength + 2; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var shifted = b >= shiftStart && b < shiftStart + shiftLength;
            for (var i = 0; i < ips.Length; i++)
            {
                var outlier = outliers == 1 ? i == 66 : i < outliers;
                var n = shifted && outlier ? 60 + random.Next(0, 5) : 1 + Gen.Poisson(random, 5);
                for (var k = 0; k < n; k++)
                {
                    pipeline.OnRecord(start + k, rec.Clear().Str(0, ips[i]).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        return sink;
    }

    private static void FeedMany(AnomalyDetectorPipeline pipeline, CollectingSink sink, string[] names)
    {
        var random = new Random(3);
        var rec = new TestRecord(2);
        for (var bucket = 0; bucket < 24; bucket++)
        {
            var start = Gen.Start + (bucket * Gen.SpanMs);
            for (var s = 0; s < names.Length; s++)
            {
                // Every 10th series jumps to 400 from bucket 18 on.
                var high = s % 10 == 0 && bucket >= 18;
                var v = Gen.Normal(random, high ? 400 : 100 + (s % 50), 3);
                pipeline.OnRecord(start + s, rec.Clear().Num(0, v).Str(1, names[s]).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static double Probability(CollectingSink sink, string by, long time) =>
        sink.Records.FirstOrDefault(r => r.ByFieldValue == by && r.Timestamp == time)?.Probability ?? 1.0;

    private static double MinProbability(CollectingSink sink, long time)
    {
        var p = 1.0;
        foreach (var r in sink.Records)
        {
            if (r.Timestamp == time)
            {
                p = Math.Min(p, r.Probability);
            }
        }

        return p;
    }

    private static string Json(CollectingSink sink)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var r in sink.Records)
            {
                r.WriteTo(w, false);
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
