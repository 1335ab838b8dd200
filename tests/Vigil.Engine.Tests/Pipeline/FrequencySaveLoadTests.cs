using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class FrequencySaveLoadTests
{
    [Theory]
    [InlineData("count", "p", null, "by")]
    [InlineData("count", "p", "u", "all")]
    [InlineData("count", "p", "u", "over")]
    [InlineData("rare", "p", null, "by")]
    [InlineData("freq_rare", "p", "u", null)]
    [InlineData("freq_rare", "p", "u", "over")]
    [InlineData("rare", "p", null, null)]
    [InlineData("count", "p", "u", null)]
    public void Restored_pipeline_with_freq_rare_or_exclude_frequent_scores_like_the_original(string function, string by, string? over,
        string? excludeFrequent)
    {
        var spec = Spec(function, by, over, excludeFrequent);
        var original = new AnomalyDetectorPipeline(spec);
        Feed(original, 0, 60, new CollectingSink());
        var buffer = new ArrayBufferWriter<byte>();
        original.Save(buffer);
        var restored = AnomalyDetectorPipeline.Load(spec, buffer.WrittenSpan);

        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(original, 60, 120, a);
        Feed(restored, 60, 120, b);

        Assert.NotEmpty(a.Records);
        Assert.Equal(Json(a), Json(b));
        Assert.Equal(State(original), State(restored));
    }

    [Fact]
    public void Interim_results_leave_exclude_frequent_counts_unchanged()
    {
        var spec = Spec("count", "p", "u", "all");
        var plain = new AnomalyDetectorPipeline(spec);
        var withInterim = new AnomalyDetectorPipeline(spec);
        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(plain, 0, 120, a);
        Feed(withInterim, 0, 120, b, interim: true);

        Assert.NotEmpty(a.Records);
        Assert.Equal(Json(a), Json(b, finalOnly: true));
    }

    [Fact]
    public void Version_1_state_loads_with_exclude_frequent_counting_afresh()
    {
        // A version 1 state (written before exclude_frequent was applied) has no presence block.
        var without = Spec("count", "p", null, null);
        var old = new AnomalyDetectorPipeline(without);
        Feed(old, 0, 60, new CollectingSink());
        var buffer = new ArrayBufferWriter<byte>();
        old.Save(buffer);
        var state = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(state.AsSpan(4), 1);

        var restored = AnomalyDetectorPipeline.Load(Spec("count", "p", null, "by"), state);
        var sink = new CollectingSink();
        Feed(restored, 60, 120, sink);

        Assert.Equal(60, sink.Buckets.Count);
        Assert.NotEmpty(sink.Records);
    }

    private static AnalysisSpec Spec(string function, string by, string? over, string? excludeFrequent) =>
        new("s", Gen.SpanMs, 0, [new DetectorSpec(0, function, null, by, over, null, false, excludeFrequent, function)], [], null, ["p", "u"], false);

    /// <summary>
    /// Each bucket: u0–u4 (in every bucket) each use p0–p4; 20 of 400 seldom people w* (5% of buckets each) use
    /// their home value t(w mod 20); and in 40% of the buckets u0 uses one of ten seldom values s*. At bucket 100:
    /// bursts of s3 by u0, t7 by w7 and a new value by w9.
    /// </summary>
    private static void Feed(AnomalyDetectorPipeline pipeline, int from, int to, CollectingSink sink, bool interim = false)
    {
        var random = new Random(from + 7);
        var rec = new TestRecord(2);
        for (var bucket = from; bucket < to; bucket++)
        {
            var start = Gen.Start + (bucket * Gen.SpanMs);
            var t = start;
            for (var k = 0; k < 5; k++)
            {
                Emit(pipeline, rec, ref t, "p" + k, "u" + k, 1 + Gen.Poisson(random, 4));
            }

            for (var i = 0; i < 20; i++)
            {
                var w = random.Next(0, 400);
                Emit(pipeline, rec, ref t, "t" + (w % 20), "w" + w, 1 + Gen.Poisson(random, 3));
            }

            if (random.NextDouble() < 0.4)
            {
                Emit(pipeline, rec, ref t, "s" + random.Next(0, 10), "u0", 1 + Gen.Poisson(random, 4));
            }

            if (bucket == 100)
            {
                Emit(pipeline, rec, ref t, "s3", "u0", 80);
                Emit(pipeline, rec, ref t, "t7", "w7", 80);
                Emit(pipeline, rec, ref t, "brand-new", "w9", 50);
            }

            if (interim)
            {
                pipeline.EmitInterim(start, sink);
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static void Emit(AnomalyDetectorPipeline pipeline, TestRecord rec, ref long time, string p, string u, int n)
    {
        for (var i = 0; i < n; i++)
        {
            pipeline.OnRecord(time++, rec.Clear().Str(0, p).Str(1, u).Fields);
        }
    }

    private static byte[] State(AnomalyDetectorPipeline pipeline)
    {
        var buffer = new ArrayBufferWriter<byte>();
        pipeline.Save(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static string Json(CollectingSink sink, bool finalOnly = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var r in sink.Records)
            {
                if (!(finalOnly && r.IsInterim))
                {
                    r.WriteTo(w, false);
                }
            }

            foreach (var b in sink.Buckets)
            {
                if (!(finalOnly && b.IsInterim))
                {
                    b.ProcessingTimeMs = 0;
                    b.WriteTo(w, false);
                }
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
