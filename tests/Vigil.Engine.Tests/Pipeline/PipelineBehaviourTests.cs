using System.Buffers;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Results;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class PipelineBehaviourTests
{
    [Fact]
    public void OnRecord_allocates_nothing_for_existing_series()
    {
        var spec = Gen.Spec("mean", "responsetime", "airline", null, ["responsetime", "airline", "host"], influencers: ["airline", "host"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(3);
        var names = new string[50];
        for (var a = 0; a < names.Length; a++)
        {
            names[a] = "airline-" + a;
        }

        // Warm up: create every series and grow every buffer over two buckets.
        var sink = new CollectingSink();
        for (var b = 0; b < 2; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 20_000; i++)
            {
                pipeline.OnRecord(start + i, rec.Clear().Num(0, i % 97).Str(1, names[i % 50]).Str(2, names[i % 7]).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var t = Gen.Start + (2 * Gen.SpanMs);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20_000; i++)
        {
            pipeline.OnRecord(t + i, rec.Clear().Num(0, i % 89).Str(1, names[i % 50]).Str(2, names[i % 7]).Fields);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void EmitInterim_does_not_change_the_final_results()
    {
        var withInterim = new CollectingSink();
        var without = new CollectingSink();
        var interimSink = new CollectingSink();
        var a = Run(120, withInterim, interimSink);
        var b = Run(120, without, null);
        Assert.Equal(Json(without), Json(withInterim));
        Assert.NotEmpty(interimSink.Buckets);
        Assert.All(interimSink.Buckets, x => Assert.True(x.IsInterim));
        Assert.All(withInterim.Buckets, x => Assert.False(x.IsInterim));
        Assert.Equal(a.ModelBytes, b.ModelBytes);
    }

    [Fact]
    public void Interim_result_of_an_open_spike_is_flagged_and_scored()
    {
        var sink = new CollectingSink();
        var interim = new CollectingSink();
        var pipeline = Run(200, sink, null);
        var start = Gen.Start + (200 * Gen.SpanMs);
        var rec = new TestRecord(3);
        for (var i = 0; i < 10; i++)
        {
            pipeline.OnRecord(start + i, rec.Clear().Num(0, 400).Str(1, "b").Str(2, "h1").Fields);
        }

        pipeline.EmitInterim(start, interim);
        var record = Assert.Single(interim.Records, r => r.ByFieldValue == "b");
        Assert.True(record.IsInterim);
        Assert.True(record.RecordScore > 50);
        Assert.True(Assert.Single(interim.Buckets).IsInterim);
    }

    [Fact]
    public void Save_then_Load_continues_with_identical_results()
    {
        var spec = SpecAb();
        var first = new CollectingSink();
        var original = Run(150, first, null);
        var buffer = new ArrayBufferWriter<byte>();
        original.Save(buffer);
        var restored = AnomalyDetectorPipeline.Load(spec, buffer.WrittenSpan);
        Assert.Equal(original.ByFieldCount, restored.ByFieldCount);

        var s1 = new CollectingSink();
        var s2 = new CollectingSink();
        Continue(original, 150, 200, s1);
        Continue(restored, 150, 200, s2);
        Assert.Equal(Json(s1), Json(s2));
        Assert.NotEmpty(s1.Records);
    }

    [Fact]
    public void Missing_by_value_is_skipped_unless_use_null()
    {
        foreach (var useNull in (bool[])[false, true])
        {
            var spec = Gen.Spec("count", null, "user", null, ["user"], useNull: useNull);
            var pipeline = new AnomalyDetectorPipeline(spec);
            var rec = new TestRecord(1);
            pipeline.OnRecord(Gen.Start, rec.Clear().Str(0, "alice").Fields);
            pipeline.OnRecord(Gen.Start + 1, rec.Clear().Missing(0).Fields);
            var sink = new CollectingSink();
            pipeline.CloseBucket(Gen.Start, sink);
            Assert.Equal(useNull ? 2 : 1, pipeline.ByFieldCount);
            Assert.Equal(2, sink.Buckets[0].EventCount);
        }
    }

    [Fact]
    public void Summary_count_weights_pre_aggregated_records()
    {
        var spec = Gen.Spec("mean", "v", null, null, ["v", "doc_count"], summary: "doc_count", plot: true);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(2);
        pipeline.OnRecord(Gen.Start, rec.Clear().Num(0, 10).Num(1, 3).Fields);
        pipeline.OnRecord(Gen.Start + 1, rec.Clear().Num(0, 20).Num(1, 1).Fields);
        pipeline.OnRecord(Gen.Start + 2, rec.Clear().Num(0, 99).Missing(1).Fields);
        var sink = new CollectingSink();
        pipeline.CloseBucket(Gen.Start, sink);
        Assert.Equal(4, sink.Buckets[0].EventCount);
        Assert.Equal(1, pipeline.RecordsWithoutSummaryCount);
        var plot = Assert.Single(sink.Plots);
        Assert.Equal(12.5, plot.Actual);
    }

    [Theory]
    [InlineData("mean", 4.0)]
    [InlineData("avg", 4.0)]
    [InlineData("median", 2.5)]
    [InlineData("min", 1.0)]
    [InlineData("max", 10.0)]
    [InlineData("sum", 16.0)]
    [InlineData("non_null_sum", 16.0)]
    [InlineData("varp", 12.5)]
    [InlineData("high_mean", 4.0)]
    [InlineData("low_sum", 16.0)]
    public void Bucket_statistic_of_metric_functions(string function, double expected)
    {
        var values = new[] { 1.0, 3.0, 10.0, 2.0 };
        Assert.Equal(expected, SingleBucketActuals(function, "v", values)[0], 12);
    }

    [Fact]
    public void Metric_models_min_max_and_mean()
    {
        var actuals = SingleBucketActuals("metric", "v", [1.0, 3.0, 10.0, 2.0]);
        Assert.Equal(3, actuals.Length);
        Assert.Equal(1.0, actuals[0]);
        Assert.Equal(10.0, actuals[1]);
        Assert.Equal(4.0, actuals[2], 12);
    }

    [Fact]
    public void Distinct_count_and_info_content_count_distinct_strings()
    {
        Assert.Equal(3.0, SingleBucketActuals("distinct_count", "s", [], ["a", "b", "a", "c"])[0]);
        var low = SingleBucketActuals("info_content", "s", [], ["aaaa", "aaaa", "aaaa"])[0];
        var high = SingleBucketActuals("info_content", "s", [], ["x81jq", "zz0pq", "m4r7w", "q9v2k", "t6y3h"])[0];
        Assert.True(high > low, $"{high} > {low}");
    }

    [Fact]
    public void Count_functions_count_records_and_zero_fill_known_series()
    {
        var spec = Gen.Spec("count", null, "h", null, ["h"], plot: true);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(1);
        var sink = new CollectingSink();
        pipeline.OnRecord(Gen.Start, rec.Clear().Str(0, "x").Fields);
        pipeline.OnRecord(Gen.Start + 1, rec.Clear().Str(0, "x").Fields);
        pipeline.CloseBucket(Gen.Start, sink);
        pipeline.CloseBucket(Gen.Start + Gen.SpanMs, sink);
        Assert.Equal([2.0, 0.0], sink.Plots.Select(p => p.Actual!.Value));
        Assert.Equal([2L, 0L], sink.Buckets.Select(b => b.EventCount));
    }

    [Fact]
    public void Late_records_are_dropped_and_counted()
    {
        var pipeline = new AnomalyDetectorPipeline(Gen.Spec("count", null, null, null, []));
        var rec = new TestRecord(0);
        var sink = new CollectingSink();
        pipeline.OnRecord(Gen.Start + 5, rec.Fields);
        pipeline.CloseBucket(Gen.Start, sink);
        pipeline.OnRecord(Gen.Start + 6, rec.Fields);
        Assert.Equal(1, pipeline.LateRecords);
        Assert.Throws<InvalidOperationException>(() => pipeline.OnRecord(Gen.Start + (10 * Gen.SpanMs), new TestRecord(0).Fields));
    }

    [Fact]
    public void Latency_keeps_the_previous_bucket_open()
    {
        var pipeline = new AnomalyDetectorPipeline(Gen.Spec("count", null, null, null, [], latencyMs: Gen.SpanMs));
        var rec = new TestRecord(0);
        var sink = new CollectingSink();
        pipeline.OnRecord(Gen.Start + 5, rec.Fields);
        pipeline.OnRecord(Gen.Start + Gen.SpanMs + 5, rec.Fields);
        pipeline.OnRecord(Gen.Start + 6, rec.Fields);
        pipeline.CloseBucket(Gen.Start, sink);
        pipeline.CloseBucket(Gen.Start + Gen.SpanMs, sink);
        Assert.Equal([2L, 1L], sink.Buckets.Select(b => b.EventCount));
    }

    [Fact]
    public void Records_before_the_epoch_are_bucketed()
    {
        var pipeline = new AnomalyDetectorPipeline(Gen.Spec("count", null, null, null, []));
        var rec = new TestRecord(0);
        var sink = new CollectingSink();
        pipeline.OnRecord(-Gen.SpanMs + 1, rec.Fields);
        pipeline.OnRecord(-1, rec.Fields);
        pipeline.CloseBucket(-Gen.SpanMs, sink);
        Assert.Equal(-Gen.SpanMs, Assert.Single(sink.Buckets).Timestamp);
        Assert.Equal(2, sink.Buckets[0].EventCount);
    }

    [Fact]
    public void Unsupported_functions_are_rejected()
    {
        Assert.Throws<NotSupportedException>(() => new AnomalyDetectorPipeline(Gen.Spec("high_rare", null, "p", null, ["p"])));
    }

    [Fact]
    public void Freq_rare_without_an_over_field_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new AnomalyDetectorPipeline(Gen.Spec("freq_rare", null, "p", null, ["p"])));
        Assert.StartsWith("over_field_name must be set when the 'freq_rare' function is used", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Record_json_has_es_field_order_and_input_field_keys()
    {
        var record = new RecordDocument
        {
            JobId = "j",
            Probability = 0.001,
            MultiBucketImpact = -1,
            RecordScore = 80,
            InitialRecordScore = 81,
            BucketSpan = 600,
            DetectorIndex = 0,
            Timestamp = 1_700_000_400_000,
            ByFieldName = "airline",
            ByFieldValue = "AAL",
            PartitionFieldName = "region",
            PartitionFieldValue = "eu",
            Function = "high_mean",
            FunctionDescription = "mean",
            Typical = [100.0],
            Actual = [160.5],
            FieldName = "responsetime",
            Influencers = [new RecordInfluence("airline", ["AAL"]), new RecordInfluence("host", ["h1", "h2"])],
            AnomalyScoreExplanation = new AnomalyScoreExplanation { AnomalyType = "spike", SingleBucketImpact = 3, MultiBucketImpact = -1, TypicalValue = 100 },
        };
        var json = Write(w => record.WriteTo(w, human: true));
        Assert.Equal(
            "{\"job_id\":\"j\",\"result_type\":\"record\",\"probability\":0.001,\"multi_bucket_impact\":-1,\"record_score\":80,"
            + "\"initial_record_score\":81,\"bucket_span\":600,\"detector_index\":0,\"is_interim\":false,"
            + "\"timestamp_string\":\"2023-11-14T22:20:00.000Z\",\"timestamp\":1700000400000,\"by_field_name\":\"airline\",\"by_field_value\":\"AAL\","
            + "\"partition_field_name\":\"region\",\"partition_field_value\":\"eu\",\"function\":\"high_mean\",\"function_description\":\"mean\","
            + "\"typical\":[100],\"actual\":[160.5],\"field_name\":\"responsetime\","
            + "\"influencers\":[{\"influencer_field_name\":\"airline\",\"influencer_field_values\":[\"AAL\"]},"
            + "{\"influencer_field_name\":\"host\",\"influencer_field_values\":[\"h1\",\"h2\"]}],"
            + "\"anomaly_score_explanation\":{\"anomaly_type\":\"spike\",\"single_bucket_impact\":3,\"multi_bucket_impact\":-1,\"typical_value\":100},"
            + "\"airline\":[\"AAL\"],\"region\":[\"eu\"],\"host\":[\"h1\",\"h2\"]}",
            json);
    }

    [Fact]
    public void Bucket_json_has_es_field_order()
    {
        var bucket = new BucketDocument { JobId = "j", Timestamp = 1_700_000_400_000, AnomalyScore = 12.5, BucketSpan = 600, InitialAnomalyScore = 12.5, EventCount = 7, ProcessingTimeMs = 2 };
        bucket.BucketInfluencers.Add(new BucketInfluencerDocument
        {
            JobId = "j",
            InfluencerFieldName = "bucket_time",
            InitialAnomalyScore = 12.5,
            AnomalyScore = 12.5,
            RawAnomalyScore = 0.1,
            Probability = 0.002,
            Timestamp = 1_700_000_400_000,
            BucketSpan = 600,
        });
        var json = Write(w => bucket.WriteTo(w, human: false));
        Assert.Equal(
            "{\"job_id\":\"j\",\"timestamp\":1700000400000,\"anomaly_score\":12.5,\"bucket_span\":600,\"initial_anomaly_score\":12.5,"
            + "\"event_count\":7,\"is_interim\":false,\"bucket_influencers\":[{\"job_id\":\"j\",\"result_type\":\"bucket_influencer\","
            + "\"influencer_field_name\":\"bucket_time\",\"initial_anomaly_score\":12.5,\"anomaly_score\":12.5,\"raw_anomaly_score\":0.1,"
            + "\"probability\":0.002,\"timestamp\":1700000400000,\"bucket_span\":600,\"is_interim\":false}],\"processing_time_ms\":2,"
            + "\"result_type\":\"bucket\"}",
            json);
        Assert.Equal("j_bucket_1700000400000_600", bucket.Id);
    }

    [Fact]
    public void Influencer_json_has_es_field_order()
    {
        var doc = new InfluencerDocument
        {
            JobId = "j",
            InfluencerFieldName = "host",
            InfluencerFieldValue = "h1",
            InfluencerScore = 40,
            InitialInfluencerScore = 41,
            Probability = 0.01,
            BucketSpan = 600,
            Timestamp = 1_700_000_400_000,
        };
        Assert.Equal(
            "{\"job_id\":\"j\",\"result_type\":\"influencer\",\"influencer_field_name\":\"host\",\"influencer_field_value\":\"h1\",\"host\":\"h1\","
            + "\"influencer_score\":40,\"initial_influencer_score\":41,\"probability\":0.01,\"bucket_span\":600,\"is_interim\":false,"
            + "\"timestamp\":1700000400000}",
            Write(w => doc.WriteTo(w, human: false)));
    }

    [Fact]
    public void Population_record_json_has_causes_and_no_top_level_actual()
    {
        var record = new RecordDocument
        {
            JobId = "j",
            Probability = 1e-5,
            RecordScore = 90,
            InitialRecordScore = 90,
            BucketSpan = 600,
            Timestamp = 1_700_000_400_000,
            Function = "high_count",
            FunctionDescription = "count",
            OverFieldName = "clientip",
            OverFieldValue = "10.0.0.66",
            Causes =
            [
                new AnomalyCause
                {
                    Probability = 1e-5, OverFieldName = "clientip", OverFieldValue = "10.0.0.66", Function = "high_count",
                    FunctionDescription = "count", Typical = [5.0], Actual = [80.0],
                },
            ],
        };
        Assert.Equal(
            "{\"job_id\":\"j\",\"result_type\":\"record\",\"probability\":1E-05,\"record_score\":90,\"initial_record_score\":90,"
            + "\"bucket_span\":600,\"detector_index\":0,\"is_interim\":false,\"timestamp\":1700000400000,\"function\":\"high_count\","
            + "\"function_description\":\"count\",\"over_field_name\":\"clientip\",\"over_field_value\":\"10.0.0.66\","
            + "\"causes\":[{\"probability\":1E-05,"
            + "\"function\":\"high_count\",\"function_description\":\"count\",\"typical\":[5],\"actual\":[80],"
            + "\"over_field_name\":\"clientip\",\"over_field_value\":\"10.0.0.66\"}],"
            + "\"clientip\":[\"10.0.0.66\"]}",
            Write(w => record.WriteTo(w, human: false)));
    }

    [Fact]
    public void Model_plot_json_has_es_field_order()
    {
        var plot = new ModelPlotDocument
        {
            JobId = "j",
            BucketSpan = 600,
            DetectorIndex = 1,
            Timestamp = 1_700_000_400_000,
            PartitionFieldName = "region",
            PartitionFieldValue = "eu",
            ByFieldName = "airline",
            ByFieldValue = "AAL",
            ModelFeature = "'arithmetic mean value by person'",
            ModelLower = 90,
            ModelUpper = 110,
            ModelMedian = 100,
            Actual = 101.5,
        };
        Assert.Equal(
            "{\"job_id\":\"j\",\"result_type\":\"model_plot\",\"bucket_span\":600,\"detector_index\":1,\"timestamp\":1700000400000,"
            + "\"partition_field_name\":\"region\",\"partition_field_value\":\"eu\",\"by_field_name\":\"airline\",\"by_field_value\":\"AAL\","
            + "\"model_feature\":\"\\u0027arithmetic mean value by person\\u0027\",\"model_lower\":90,\"model_upper\":110,\"model_median\":100,"
            + "\"actual\":101.5}",
            Write(w => plot.WriteTo(w, human: false)));
    }

    [Fact]
    public void ModelBytes_grows_with_series()
    {
        var small = new AnomalyDetectorPipeline(Gen.Spec("mean", "v", "k", null, ["v", "k"]));
        var large = new AnomalyDetectorPipeline(Gen.Spec("mean", "v", "k", null, ["v", "k"]));
        var rec = new TestRecord(2);
        for (var i = 0; i < 10_000; i++)
        {
            large.OnRecord(Gen.Start, rec.Clear().Num(0, 1).Str(1, "k" + i).Fields);
        }

        small.OnRecord(Gen.Start, rec.Clear().Num(0, 1).Str(1, "k").Fields);
        Assert.True(large.ModelBytes > small.ModelBytes + (10_000 * 100), $"{large.ModelBytes} vs {small.ModelBytes}");
        Assert.Equal(10_000, large.ByFieldCount);
    }

    private static double[] SingleBucketActuals(string function, string field, double[] numbers, string[]? strings = null)
    {
        var spec = Gen.Spec(function, field, null, null, [field], plot: true);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var rec = new TestRecord(1);
        var sink = new CollectingSink();
        foreach (var v in numbers)
        {
            pipeline.OnRecord(Gen.Start, rec.Clear().Num(0, v).Fields);
        }

        foreach (var s in strings ?? [])
        {
            pipeline.OnRecord(Gen.Start, rec.Clear().Str(0, s).Fields);
        }

        pipeline.CloseBucket(Gen.Start, sink);
        return [.. sink.Plots.Select(p => p.Actual!.Value)];
    }

    private static AnalysisSpec SpecAb() =>
        Gen.Spec("mean", "v", "k", null, ["v", "k", "host"], influencers: ["host"]);

    private static AnomalyDetectorPipeline Run(int buckets, CollectingSink sink, CollectingSink? interim)
    {
        var pipeline = new AnomalyDetectorPipeline(SpecAb());
        Continue(pipeline, 0, buckets, sink, interim);
        return pipeline;
    }

    private static void Continue(AnomalyDetectorPipeline pipeline, int from, int to, CollectingSink sink, CollectingSink? interim = null)
    {
        var random = new Random(99 + from);
        var rec = new TestRecord(3);
        for (var b = from; b < to; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 10; i++)
            {
                var host = "h" + (i % 3);
                var a = Gen.Normal(random, b == 170 && i % 3 == 1 ? 300 : 50, 5);
                pipeline.OnRecord(start + i, rec.Clear().Num(0, a).Str(1, "a").Str(2, host).Fields);
                pipeline.OnRecord(start + i, rec.Clear().Num(0, Gen.Normal(random, 80, 4)).Str(1, "b").Str(2, host).Fields);
                if (interim is not null && i == 5 && b % 10 == 0)
                {
                    pipeline.EmitInterim(start, interim);
                }
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static string Json(CollectingSink sink)
    {
        return Write(w =>
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
                // processing_time_ms is wall-clock: compare the rest.
                b.ProcessingTimeMs = 0;
                b.WriteTo(w, false);
            }

            w.WriteEndArray();
        });
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
}
