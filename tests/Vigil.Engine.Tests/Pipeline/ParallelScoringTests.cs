using System.Buffers;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class ParallelScoringTests
{
    private const int Series = DetectorState.ParallelSeriesThreshold + 1500;

    [Theory]
    [InlineData("mean", "v")]
    [InlineData("count", null)]
    public void Large_buckets_scored_on_several_threads_give_the_same_results_as_one_thread(string function, string? field)
    {
        var spec = new AnalysisSpec(
            "p", Gen.SpanMs, 0, [new DetectorSpec(0, function, field, "p", null, null, false, null, function)], ["p"], null, ["v", "p"], false);
        var single = new AnomalyDetectorPipeline(spec) { ScoringThreads = 1 };
        var parallel = new AnomalyDetectorPipeline(spec) { ScoringThreads = 4 };
        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(single, a);
        Feed(parallel, b);

        Assert.NotEmpty(a.Records);
        Assert.Contains(a.Records, r => r.ByFieldValue == "p77" && r.Timestamp == Gen.Start + (20 * Gen.SpanMs));
        Assert.Equal(Json(a), Json(b));
        Assert.Equal(single.ModelBytes, parallel.ModelBytes);
    }

    private static void Feed(AnomalyDetectorPipeline pipeline, CollectingSink sink)
    {
        var random = new Random(3);
        var rec = new TestRecord(2);
        var names = new string[Series];
        for (var s = 0; s < Series; s++)
        {
            names[s] = "p" + s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var bucket = 0; bucket < 24; bucket++)
        {
            var start = Gen.Start + (bucket * Gen.SpanMs);
            for (var s = 0; s < Series; s++)
            {
                // Series p77 goes wrong in bucket 20 (value and rate); every 7th series skips odd buckets.
                var wrong = s == 77 && bucket == 20;
                if (s % 7 == 0 && bucket % 2 == 1)
                {
                    continue;
                }

                var n = wrong ? 12 : 1 + (random.Next(0, 4) == 0 ? 1 : 0);
                for (var i = 0; i < n; i++)
                {
                    var v = Gen.Normal(random, wrong ? 400 : 100 + (s % 50), 3);
                    pipeline.OnRecord(start + s, rec.Clear().Num(0, v).Str(1, names[s]).Fields);
                }
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
