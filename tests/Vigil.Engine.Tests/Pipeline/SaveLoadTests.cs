using System.Buffers;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class SaveLoadTests
{
    [Theory]
    [InlineData("rare", null, "p", null)]
    [InlineData("rare", null, "p", "u")]
    [InlineData("count", null, "p", "u")]
    [InlineData("metric", "v", null, "u")]
    [InlineData("median", "v", "p", null)]
    [InlineData("distinct_count", "p", null, null)]
    public void Restored_pipeline_continues_like_the_original(string function, string? field, string? by, string? over)
    {
        var spec = new AnalysisSpec(
            "s", Gen.SpanMs, 0, [new DetectorSpec(0, function, field, by, over, null, false, null, function)], ["u"], null, ["v", "p", "u"], false);
        var original = new AnomalyDetectorPipeline(spec);
        Feed(original, 0, 60, new CollectingSink());
        var buffer = new ArrayBufferWriter<byte>();
        original.Save(buffer);
        var restored = AnomalyDetectorPipeline.Load(spec, buffer.WrittenSpan);
        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(original, 60, 120, a);
        Feed(restored, 60, 120, b);
        Assert.Equal(Json(a), Json(b));
        Assert.Equal(original.ByFieldCount, restored.ByFieldCount);
        Assert.Equal(original.OverFieldCount, restored.OverFieldCount);
    }

    private static void Feed(AnomalyDetectorPipeline pipeline, int from, int to, CollectingSink sink)
    {
        var random = new Random(from + 1);
        var rec = new TestRecord(3);
        for (var bucket = from; bucket < to; bucket++)
        {
            var start = Gen.Start + (bucket * Gen.SpanMs);
            var n = 5 + Gen.Poisson(random, 20) + (bucket == 100 ? 60 : 0);
            for (var i = 0; i < n; i++)
            {
                var v = Gen.Normal(random, bucket == 100 ? 90 : 50, 5);
                var p = "p" + random.Next(0, bucket == 100 ? 12 : 6);
                pipeline.OnRecord(start + i, rec.Clear().Num(0, v).Str(1, p).Str(2, "u" + random.Next(0, 8)).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }
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

            foreach (var i in sink.Influencers)
            {
                i.WriteTo(w, false);
            }

            foreach (var b in sink.Buckets)
            {
                b.ProcessingTimeMs = 0;
                b.WriteTo(w, false);
            }

            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
