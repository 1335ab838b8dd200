using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>
/// Interim results (<c>calc_interim</c>) are scored without changing any state: for every detector kind, a run with
/// interim calls (mid-bucket, repeated, on two open buckets) gives the same final results and saved state as a run
/// without, and the interim results are those the former path (save the scoring state, close, restore) gave.
/// </summary>
public sealed class InterimTests
{
    private const int Buckets = 80;
    private const int NewSeriesBucket = 62;
    private const int ShiftBucket = 70;
    private static readonly int[] InterimBuckets = [30, 45, 50, 55, NewSeriesBucket, ShiftBucket, 75];
    private static readonly string[] Fields = ["value", "host", "dc", "user", "status", "location"];

    public static TheoryData<string> Kinds => new()
    {
        "by_partition_metric",
        "count",
        "rare",
        "freq_rare",
        "population",
        "exclude_frequent_by",
        "lat_long",
        "info_content",
        "rules",
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Interim_calls_leave_final_results_and_saved_state_as_without_them_and_match_the_snapshot_path(string kind)
    {
        var spec = Spec(kind);
        var data = Data();
        var plain = Pipeline(spec, kind);
        var scoreOnly = Pipeline(spec, kind);
        var snapshot = Pipeline(spec, kind);
        var plainFinal = new CollectingSink();
        var scoreOnlyFinal = new CollectingSink();
        var scoreOnlyInterim = new CollectingSink();
        var snapshotFinal = new CollectingSink();
        var snapshotInterim = new CollectingSink();
        var record = new TestRecord(Fields.Length);
        var lag = spec.LatencyMs > 0 ? 1 : 0;
        var interimCalls = 0;
        for (var b = 0; b < Buckets; b++)
        {
            var rows = data[b];
            var half = rows.Count / 2;
            var interim = Array.IndexOf(InterimBuckets, b) >= 0;
            Feed(record, rows, 0, half, plain, scoreOnly, snapshot);
            if (interim)
            {
                // Mid-bucket, on every open bucket (two with latency).
                for (var open = b - lag; open <= b; open++)
                {
                    scoreOnly.EmitInterim(BucketStart(open), scoreOnlyInterim);
                    snapshot.EmitInterimBySnapshot(BucketStart(open), snapshotInterim);
                    interimCalls++;
                }

                Assert.Equal(State(plain), State(scoreOnly));
            }

            Feed(record, rows, half, rows.Count, plain, scoreOnly, snapshot);
            if (interim)
            {
                // Twice at the end of the bucket: the second call must give exactly what the first gave.
                for (var repeat = 0; repeat < 2; repeat++)
                {
                    scoreOnly.EmitInterim(BucketStart(b), scoreOnlyInterim);
                    snapshot.EmitInterimBySnapshot(BucketStart(b), snapshotInterim);
                    interimCalls++;
                }

                Assert.Equal(State(plain), State(scoreOnly));
            }

            if (b - lag >= 0)
            {
                plain.CloseBucket(BucketStart(b - lag), plainFinal);
                scoreOnly.CloseBucket(BucketStart(b - lag), scoreOnlyFinal);
                snapshot.CloseBucket(BucketStart(b - lag), snapshotFinal);
            }
        }

        plain.CloseBucket(BucketStart(Buckets - 1), plainFinal);
        scoreOnly.CloseBucket(BucketStart(Buckets - 1), scoreOnlyFinal);
        snapshot.CloseBucket(BucketStart(Buckets - 1), snapshotFinal);

        // Final results and state: as if no interim call had happened.
        Assert.Equal(Buckets, plainFinal.Buckets.Count);
        Assert.NotEmpty(plainFinal.Records);
        AssertSame(plainFinal, scoreOnlyFinal);
        AssertSame(plainFinal, snapshotFinal);
        var state = State(plain);
        Assert.Equal(state, State(scoreOnly));
        Assert.Equal(state, State(snapshot));

        // Interim results: what saving, closing and restoring the whole scoring state gave.
        Assert.Equal(interimCalls, scoreOnlyInterim.Buckets.Count);
        Assert.All(scoreOnlyInterim.Buckets, bucket => Assert.True(bucket.IsInterim));
        Assert.NotEmpty(scoreOnlyInterim.Records);
        AssertSame(snapshotInterim, scoreOnlyInterim);

        // Per interim bucket: the mid-bucket call saw half the records; the two end-of-bucket calls gave the same results.
        var buckets = Json(scoreOnlyInterim).Buckets;
        foreach (var b in InterimBuckets)
        {
            var calls = new List<string>();
            for (var i = 0; i < buckets.Count; i++)
            {
                if (scoreOnlyInterim.Buckets[i].Timestamp == BucketStart(b))
                {
                    calls.Add(buckets[i]);
                }
            }

            Assert.Equal(3, calls.Count);
            Assert.NotEqual(calls[0], calls[1]);
            Assert.Equal(calls[1], calls[2]);
        }
    }

    [Fact]
    public void Interim_pass_scores_the_anomaly_of_the_open_bucket_as_its_close_then_does()
    {
        // The interim results of a complete bucket are its final results but for is_interim (the models and normalizers
        // are those the close uses).
        var spec = Spec("by_partition_metric") with { LatencyMs = 0 };
        var data = Data();
        var pipeline = Pipeline(spec, "by_partition_metric");
        var record = new TestRecord(Fields.Length);
        var interim = new CollectingSink();
        var final = new CollectingSink();
        for (var b = 0; b <= 45; b++)
        {
            Feed(record, data[b], 0, data[b].Count, pipeline);
            if (b == 45)
            {
                pipeline.EmitInterim(BucketStart(b), interim);
            }

            pipeline.CloseBucket(BucketStart(b), b == 45 ? final : new CollectingSink());
        }

        Assert.Contains(final.Records, r => r.ByFieldValue == "h1" && r.RecordScore > 50);
        var a = Json(interim);
        var f = Json(final);
        Assert.Equal(f.Records.Count, a.Records.Count);
        Assert.Equal(f.Records, a.Records.ConvertAll(s => s.Replace("\"is_interim\":true", "\"is_interim\":false", StringComparison.Ordinal)));
        Assert.Equal(f.Buckets, a.Buckets.ConvertAll(s => s.Replace("\"is_interim\":true", "\"is_interim\":false", StringComparison.Ordinal)));
    }

    [Fact]
    public void Interim_pass_allocates_no_more_than_the_close_of_the_same_bucket()
    {
        // Beyond the result documents (the same for both), the score-only pass allocates nothing once its scratch exists;
        // the former path allocated the whole scoring state twice.
        const int Series = 5000;
        var spec = new AnalysisSpec("job-interim", Gen.SpanMs, 0, [new DetectorSpec(0, "mean", "value", "host", null, null, false, null, "mean")],
            [], null, Fields, false);
        var pipeline = new AnomalyDetectorPipeline(spec) { ScoringThreads = 1 };
        var record = new TestRecord(Fields.Length);
        var random = new Random(11);
        var hosts = new string[Series];
        for (var h = 0; h < Series; h++)
        {
            hosts[h] = "h" + h.ToString(CultureInfo.InvariantCulture);
        }

        const int Last = 20;
        for (var b = 0; b <= Last; b++)
        {
            for (var h = 0; h < Series; h++)
            {
                var value = Gen.Normal(random, 100 + (h % 50), 3) + (b == Last && h % 100 == 0 ? 60 : 0);
                pipeline.OnRecord(BucketStart(b) + h, record.Clear().Num(0, value).Str(1, hosts[h]).Fields);
            }

            if (b < Last)
            {
                pipeline.CloseBucket(BucketStart(b), new CollectingSink());
            }
        }

        var interim = new CollectingSink();
        pipeline.EmitInterim(BucketStart(Last), new CollectingSink()); // scratch
        var before = GC.GetAllocatedBytesForCurrentThread();
        pipeline.EmitInterim(BucketStart(Last), interim);
        var interimBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        var final = new CollectingSink();
        before = GC.GetAllocatedBytesForCurrentThread();
        pipeline.CloseBucket(BucketStart(Last), final);
        var closeBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(interim.Records.Count >= 40, $"{interim.Records.Count} interim records");
        Assert.Equal(final.Records.Count, interim.Records.Count);
        Assert.True(interimBytes <= closeBytes + 4096, $"interim {interimBytes} B, close {closeBytes} B");
    }

    [Fact]
    public void Interim_pass_scored_in_parallel_chunks_gives_the_single_thread_snapshot_results()
    {
        // Enough series for phase 1 to run in parallel chunks (Score writes nothing, so chunks cannot interfere).
        const int Series = 8200;
        const long HourMs = 3_600_000;
        const long Start = 1_699_999_200_000; // hourly buckets: the 8-bucket, 2-hour warm-up is over after 8 buckets
        var spec = new AnalysisSpec("job-interim", HourMs, 0, [new DetectorSpec(0, "mean", "value", "host", null, null, false, null, "mean")],
            [], null, Fields, false);
        var parallel = new AnomalyDetectorPipeline(spec) { ScoringThreads = 4 };
        var snapshot = new AnomalyDetectorPipeline(spec) { ScoringThreads = 1 };
        var record = new TestRecord(Fields.Length);
        var random = new Random(13);
        var hosts = new string[Series];
        for (var h = 0; h < Series; h++)
        {
            hosts[h] = "h" + h.ToString(CultureInfo.InvariantCulture);
        }

        var a = new CollectingSink();
        var c = new CollectingSink();
        const int Last = 9;
        for (var b = 0; b <= Last; b++)
        {
            for (var h = 0; h < Series; h++)
            {
                var value = Gen.Normal(random, 100 + (h % 50), 3) + (b >= 8 && h % 300 == 0 ? 40 : 0);
                record.Clear().Num(0, value).Str(1, hosts[h]);
                parallel.OnRecord((Start + (b * HourMs)) + h, record.Fields);
                snapshot.OnRecord((Start + (b * HourMs)) + h, record.Fields);
            }

            if (b >= 8)
            {
                parallel.EmitInterim((Start + (b * HourMs)), a);
                snapshot.EmitInterimBySnapshot((Start + (b * HourMs)), c);
            }

            parallel.CloseBucket((Start + (b * HourMs)), new CollectingSink());
            snapshot.CloseBucket((Start + (b * HourMs)), new CollectingSink());
        }

        Assert.NotEmpty(a.Records);
        AssertSame(c, a);
    }

    private static void AssertSame(CollectingSink expected, CollectingSink actual)
    {
        var e = Json(expected);
        var a = Json(actual);
        Assert.Equal(e.Buckets, a.Buckets);
        Assert.Equal(e.Records, a.Records);
        Assert.Equal(e.Influencers, a.Influencers);
        Assert.Equal(e.Plots, a.Plots);
    }

    private static (List<string> Buckets, List<string> Records, List<string> Influencers, List<string> Plots) Json(CollectingSink sink)
    {
        var buckets = new List<string>();
        foreach (var b in sink.Buckets)
        {
            var time = b.ProcessingTimeMs;
            b.ProcessingTimeMs = 0; // wall-clock time, not a result
            buckets.Add(Write(w => b.WriteTo(w, false)));
            b.ProcessingTimeMs = time;
        }

        return (buckets, sink.Records.ConvertAll(r => Write(w => r.WriteTo(w, false))),
            sink.Influencers.ConvertAll(i => Write(w => i.WriteTo(w, false))), sink.Plots.ConvertAll(p => Write(w => p.WriteTo(w, false))));
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static byte[] State(AnomalyDetectorPipeline pipeline)
    {
        var buffer = new ArrayBufferWriter<byte>();
        pipeline.Save(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static long BucketStart(int b) => Gen.Start + (b * Gen.SpanMs);

    private static void Feed(TestRecord record, List<Row> rows, int from, int to, params AnomalyDetectorPipeline[] pipelines)
    {
        for (var i = from; i < to; i++)
        {
            var row = rows[i];
            record.Clear().Num(0, row.Value).Str(1, row.Host).Str(2, row.Dc).Str(3, row.User).Str(4, row.Status).Str(5, row.Location);
            foreach (var p in pipelines)
            {
                p.OnRecord(row.TimeMs, record.Fields);
            }
        }
    }

    private static AnomalyDetectorPipeline Pipeline(AnalysisSpec spec, string kind)
    {
        var pipeline = new AnomalyDetectorPipeline(spec);
        if (kind == "rules")
        {
            // A scheduled event over two interim buckets (skip_result and skip_model_update on every detector).
            pipeline.SetScheduledEvents(
            [
                new ScheduledEventSpec("maintenance", BucketStart(55), BucketStart(57)),
            ]);
        }

        return pipeline;
    }

    private static AnalysisSpec Spec(string kind)
    {
        DetectorSpec D(int i, string function, string? field, string? by, string? over, string? partition, string? excludeFrequent = null,
            IReadOnlyList<DetectorRuleSpec>? rules = null) =>
            new(i, function, field, by, over, partition, false, excludeFrequent, function, rules);

        var (detectors, influencers, latency, plot) = kind switch
        {
            "by_partition_metric" => (new[]
            {
                D(0, "mean", "value", "host", null, "dc"),
                D(1, "median", "value", "host", null, null),
                D(2, "high_sum", "value", null, null, "dc"),
            }, new[] { "user", "host" }, Gen.SpanMs, true),
            "count" => ([D(0, "count", null, "host", null, null), D(1, "distinct_count", "user", "host", null, null)], ["user"], 0L, false),
            "rare" => ([D(0, "rare", null, "status", null, null), D(1, "rare", null, "status", null, "dc")], ["user"], 0L, false),
            "freq_rare" => ([D(0, "freq_rare", null, "status", "user", null)], ["user"], 0L, false),
            "population" => ([D(0, "mean", "value", null, "user", null), D(1, "count", null, "host", "user", null, "all")], ["user", "host"], 0L,
                false),
            "exclude_frequent_by" => ([D(0, "count", null, "status", null, "dc", "by")], ["user"], 0L, false),
            "lat_long" => ([D(0, "lat_long", "location", "host", null, null), D(1, "lat_long", "location", null, "user", null)], ["user"], 0L,
                false),
            "info_content" => ([D(0, "info_content", "status", "host", null, null)], ["user"], 0L, false),
            "rules" => (new[]
            {
                D(0, "mean", "value", "host", null, null, rules:
                [
                    new DetectorRuleSpec(true, false, [new RuleScopeSpec("host", "hosts", true, ["h1", "h9"])],
                        [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Gt, 300)]),
                    new DetectorRuleSpec(false, true, [], [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Lt, 20)]),
                    new DetectorRuleSpec(false, false, [], [new RuleConditionSpec(RuleTarget.Time, RuleOperator.Gte, BucketStart(ShiftBucket) / 1000)],
                        3600),
                ]),
                D(1, "mean", "value", null, "user", null, rules:
                [
                    new DetectorRuleSpec(false, true, [new RuleScopeSpec("user", "users", false, ["u1"])],
                        [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Gt, 250)]),

                    // The user first seen in an interim bucket (its scope is looked up, not cached, by the interim pass).
                    new DetectorRuleSpec(true, false, [new RuleScopeSpec("user", "new users", true, ["u99"])],
                        [new RuleConditionSpec(RuleTarget.Actual, RuleOperator.Gt, 250)]),
                ]),
            }, new[] { "user" }, 0L, false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        return new AnalysisSpec("job-interim", Gen.SpanMs, latency, detectors, influencers, null, Fields, plot);
    }

    private readonly record struct Row(long TimeMs, double Value, string Host, string Dc, string User, string Status, string Location);

    /// <summary>Six hosts in two data centres and thirty users, with anomalies in the interim buckets.</summary>
    private static List<Row>[] Data()
    {
        var random = new Random(20261123);
        var data = new List<Row>[Buckets];
        for (var b = 0; b < Buckets; b++)
        {
            var rows = data[b] = [];
            var hosts = b >= NewSeriesBucket ? 7 : 6;
            for (var h = 0; h < hosts; h++)
            {
                var host = h == 6 ? "h9" : "h" + h.ToString(CultureInfo.InvariantCulture);
                var dc = h == 6 ? "d9" : h % 2 == 0 ? "d0" : "d1";
                var n = 3 + (b == 55 && h == 3 ? 30 : 0);
                for (var i = 0; i < n; i++)
                {
                    var t = BucketStart(b) + (Gen.SpanMs * ((i * 7) + h + 1) / ((n * 7) + 8));
                    var user = "u" + random.Next(30).ToString(CultureInfo.InvariantCulture);
                    var value = Gen.Normal(random, 100 + (10 * h), 5);
                    if (b == 45 && h == 1)
                    {
                        value += 400;
                    }

                    if (b == NewSeriesBucket && h == 4)
                    {
                        value = 5;
                    }

                    var status = random.NextDouble() < 0.1 ? "404" : b % 13 == 0 && h == 0 && i == 0 ? "301" : "200";
                    if (b == 45 && user == "u3")
                    {
                        status = "503";
                    }

                    if (b == 50 && h == 0)
                    {
                        status = Convert.ToHexString(BitConverter.GetBytes(random.NextInt64())) + Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()));
                    }

                    var lat = 40.0 + (h * 0.01) + Gen.Normal(random, 0, 0.001);
                    var lon = -74.0 + Gen.Normal(random, 0, 0.001);
                    if (b == 45 && h == 2)
                    {
                        (lat, lon) = (-33.8, 151.2);
                    }

                    var location = string.Create(CultureInfo.InvariantCulture, $"{lat:R},{lon:R}");
                    rows.Add(new Row(t, value, host, dc, user, status, location));
                }
            }

            if (b % 10 == 5)
            {
                // A status in a tenth of the buckets: exclude_frequent by finds it frequent only once the bucket is noted
                // (5 of 56 buckets before bucket 55, 6 of 56 with it). A burst of it in bucket 55.
                for (var i = 0; i < (b == 55 ? 15 : 1); i++)
                {
                    rows.Add(new Row(BucketStart(b) + 3000 + i, 100, "h1", "d1", "u6", "302", "40.0,-74.0"));
                }
            }

            if (b >= NewSeriesBucket)
            {
                // A user first seen in an interim bucket, anomalous then.
                rows.Add(new Row(BucketStart(b) + 500, b == NewSeriesBucket ? 600 : 100, "h0", "d0", "u99", "200", "40.0,-74.0"));
            }

            if (b == 55)
            {
                // A user hammering a new status (freq_rare), and a burst of an occasional one (exclude_frequent keeps it).
                for (var i = 0; i < 12; i++)
                {
                    rows.Add(new Row(BucketStart(b) + 1000 + i, 100, "h0", "d0", "u5", "418", "40.0,-74.0"));
                    rows.Add(new Row(BucketStart(b) + 2000 + i, 100, "h0", "d0", "u7", "301", "40.0,-74.0"));
                }
            }

            rows.Sort((x, y) => x.TimeMs.CompareTo(y.TimeMs));
        }

        return data;
    }
}
