using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class LatLongPopulationTests
{
    private const int People = 60;
    private const int AnomalyBucket = 80;

    [Fact]
    public void Lat_long_over_user_reports_the_person_far_from_the_population_with_causes_and_geo_results()
    {
        var sink = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: null, partition: null)), 0, 100, sink, far: true);

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (AnomalyBucket * Gen.SpanMs), top.Timestamp);
        Assert.Equal("user", top.OverFieldName);
        Assert.Equal("u17", top.OverFieldValue);
        Assert.Equal("lat_long", top.Function);
        Assert.Equal("lat_long", top.FunctionDescription);
        Assert.Equal("location", top.FieldName);
        Assert.True(top.RecordScore > 75, $"record_score {top.RecordScore}");
        Assert.True(top.Probability < 1e-4, $"probability {top.Probability}");

        // As Elasticsearch's population records: no actual/typical/geo_results at the top, they are in the cause.
        Assert.Null(top.Actual);
        Assert.Null(top.Typical);
        Assert.Null(top.GeoResults);
        Assert.Null(top.MultiBucketImpact);
        var cause = Assert.Single(top.Causes!);
        Assert.Equal("u17", cause.OverFieldValue);
        Assert.Equal("user", cause.OverFieldName);
        Assert.Equal("location", cause.FieldName);
        Assert.Equal("lat_long", cause.Function);
        Assert.Equal("lat_long", cause.FunctionDescription);
        Assert.Equal(top.Probability, cause.Probability);
        Assert.Equal([-33.9, 151.2], cause.Actual!);
        Assert.Equal(48.85, cause.Typical![0], 0);
        Assert.Equal(2.35, cause.Typical[1], 0);
        Assert.Equal("-33.900000000000,151.200000000000", cause.GeoResults!.ActualPoint);
        Assert.Null(cause.GeoResults.TypicalPoint);

        // The other people of the anomaly bucket are not reported above noise.
        Assert.DoesNotContain(sink.Records, r => r.Timestamp == top.Timestamp && r.OverFieldValue != "u17" && r.RecordScore > 25);
    }

    [Fact]
    public void Lat_long_over_a_clean_population_scores_nothing_above_25_after_warm_up()
    {
        var sink = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: null, partition: null)), 0, 100, sink, far: false);

        Assert.Equal(100, sink.Buckets.Count);
        var afterWarmUp = Gen.Start + (20 * Gen.SpanMs);
        Assert.DoesNotContain(sink.Records, r => r.Timestamp >= afterWarmUp && r.RecordScore > 25);
    }

    [Fact]
    public void Lat_long_over_a_two_city_population_flags_a_position_between_the_cities()
    {
        // Half the people live around Paris, half around New York. A person in the Azores is near the mean of all
        // positions, so only a model with one mode per city finds it unusual.
        var spec = Spec(by: null, partition: null);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(4);
        var random = new Random(73);
        for (var b = 0; b < 100; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var u = 0; u < People; u++)
            {
                var (lat, lon) = u % 2 == 0 ? (48.85, 2.35) : (40.71, -74.0);
                if (b == AnomalyBucket && u == 17)
                {
                    (lat, lon) = (38.7, -27.2);
                }
                else
                {
                    lat = Gen.Normal(random, lat, 0.2);
                    lon = Gen.Normal(random, lon, 0.2);
                }

                pipeline.OnRecord(start + u, rec.Clear().Str(0, Point(lat, lon)).Str(1, "u" + u).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (AnomalyBucket * Gen.SpanMs), top.Timestamp);
        Assert.Equal("u17", top.OverFieldValue);
        Assert.True(top.Probability < 1e-3, $"probability {top.Probability}");
        var cause = Assert.Single(top.Causes!);
        Assert.Equal([38.7, -27.2], cause.Actual!);

        // Typical is the centre of the city cluster that explains the position best, not the mean of both cities.
        var typical = cause.Typical!;
        Assert.True(Math.Abs(typical[0] - 48.85) < 0.5 || Math.Abs(typical[0] - 40.71) < 0.5, $"typical {typical[0]},{typical[1]}");
        // Positions are drawn afresh each bucket, so 4σ positions (p ≈ 1e-2 under the t tails) happen by chance: at
        // most 1% of the clean person-buckets after warm-up score above 25, none above 50.
        var afterWarmUp = Gen.Start + (20 * Gen.SpanMs);
        var clean = sink.Records.Where(r => r.Timestamp >= afterWarmUp && r.OverFieldValue != "u17").ToList();
        Assert.True(clean.Count(r => r.RecordScore > 25) <= 0.01 * 80 * People, $"{clean.Count(r => r.RecordScore > 25)} clean records above 25");
        Assert.DoesNotContain(clean, r => r.RecordScore > 50);
    }

    [Fact]
    public void Lat_long_by_device_over_user_with_partition_names_the_attribute_in_the_cause()
    {
        var sink = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: "device", partition: "tenant")), 0, 100, sink, far: true);

        var top = sink.Records.MaxBy(r => r.RecordScore)!;
        Assert.Equal(Gen.Start + (AnomalyBucket * Gen.SpanMs), top.Timestamp);
        Assert.Equal("u17", top.OverFieldValue);
        Assert.Equal("tenant", top.PartitionFieldName);
        Assert.Equal("t1", top.PartitionFieldValue);
        var cause = Assert.Single(top.Causes!);
        Assert.Equal("device", cause.ByFieldName);
        Assert.Equal("laptop", cause.ByFieldValue);
        Assert.Equal("t1", cause.PartitionFieldValue);
        Assert.Equal([-33.9, 151.2], cause.Actual!);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
    }

    [Fact]
    public void Restored_lat_long_population_pipeline_continues_like_the_original()
    {
        var spec = Spec(by: "device", partition: null);
        var original = new AnomalyDetectorPipeline(spec);
        Feed(original, 0, 50, new CollectingSink(), far: true);
        var buffer = new ArrayBufferWriter<byte>();
        original.Save(buffer);
        var restored = AnomalyDetectorPipeline.Load(spec, buffer.WrittenSpan);

        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(original, 50, 100, a, far: true);
        Feed(restored, 50, 100, b, far: true);
        Assert.Contains(a.Records, r => r.OverFieldValue == "u17" && r.Timestamp == Gen.Start + (AnomalyBucket * Gen.SpanMs));
        Assert.Equal(Json(a), Json(b));
    }

    [Fact]
    public void Interim_results_do_not_change_the_final_lat_long_population_results()
    {
        var plain = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: "device", partition: null)), 0, 100, plain, far: true);
        var withInterim = new CollectingSink();
        var interim = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: "device", partition: null)), 0, 100, withInterim, far: true, interim);

        Assert.Contains(interim.Records, r => r.OverFieldValue == "u17" && r.IsInterim);
        Assert.Equal(Json(plain), Json(withInterim));
    }

    [Fact]
    public void Lat_long_population_results_do_not_depend_on_the_scoring_threads()
    {
        var one = new AnomalyDetectorPipeline(Spec(by: "device", partition: "tenant")) { ScoringThreads = 1 };
        var many = new AnomalyDetectorPipeline(Spec(by: "device", partition: "tenant")) { ScoringThreads = 4 };
        var a = new CollectingSink();
        var b = new CollectingSink();
        Feed(one, 0, 100, a, far: true);
        Feed(many, 0, 100, b, far: true);
        Assert.NotEmpty(a.Records);
        Assert.Equal(Json(a), Json(b));
    }

    [Fact]
    public void Skip_result_rule_scoped_to_the_person_drops_the_record()
    {
        var rule = new DetectorRuleSpec(true, false, [new RuleScopeSpec("user", "travellers", true, ["u17"])], []);
        var sink = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: null, partition: null, rules: [rule])), 0, 100, sink, far: true);

        Assert.DoesNotContain(sink.Records, r => r.OverFieldValue == "u17");
        Assert.DoesNotContain(sink.Records, r => r.RecordScore > 75);
    }

    [Fact]
    public void Skip_model_update_rule_on_every_person_keeps_the_population_model_from_learning()
    {
        var everyone = new string[People];
        for (var u = 0; u < People; u++)
        {
            everyone[u] = "u" + u;
        }

        var rule = new DetectorRuleSpec(false, true, [new RuleScopeSpec("user", "everyone", true, everyone)], []);
        var frozen = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: null, partition: null, rules: [rule])), 0, 100, frozen, far: true);
        var learning = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(Spec(by: null, partition: null)), 0, 100, learning, far: true);

        // Without samples the population model never has the history to score anyone.
        Assert.Empty(frozen.Records);
        Assert.NotEmpty(learning.Records);
    }

    [Fact]
    public void Exclude_frequent_over_removes_people_present_in_every_bucket()
    {
        // Every person logs in every bucket, so every person is frequent: nobody is scored, not even u17 in Sydney.
        var spec = Spec(by: null, partition: null) with
        {
            Detectors = [new DetectorSpec(0, "lat_long", "location", null, "user", null, false, "over", "lat_long(location) over user")],
        };
        var sink = new CollectingSink();
        Feed(new AnomalyDetectorPipeline(spec), 0, 100, sink, far: true);

        Assert.Equal(100, sink.Buckets.Count);
        Assert.Empty(sink.Records);
    }

    [Fact]
    public void Lat_long_population_on_record_allocates_nothing_once_warm()
    {
        var pipeline = new AnomalyDetectorPipeline(Spec(by: "device", partition: "tenant"));
        Feed(pipeline, 0, 3, new CollectingSink(), far: false);
        var rec = new TestRecord(4);
        var users = new string[People];
        for (var u = 0; u < People; u++)
        {
            users[u] = "u" + u;
        }

        var t = Gen.Start + (3 * Gen.SpanMs);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            var u = i % People;
            pipeline.OnRecord(t + i, rec.Clear().Str(0, "48.85,2.35").Str(1, users[u]).Str(2, u % 3 == 0 ? "phone" : "laptop")
                .Str(3, u < People / 2 ? "t1" : "t2").Fields);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Lat_long_population_model_bytes_grow_with_the_attributes()
    {
        var one = new AnomalyDetectorPipeline(Spec(by: null, partition: null));
        var two = new AnomalyDetectorPipeline(Spec(by: "device", partition: null));
        Feed(one, 0, 10, new CollectingSink(), far: false);
        Feed(two, 0, 10, new CollectingSink(), far: false);

        // Each attribute keeps its last 256 samples (24 bytes each) and its clusters.
        Assert.True(one.ModelBytes > GeoPopulationModel.RingSamples * 24, $"model_bytes {one.ModelBytes}");
        Assert.True(two.ModelBytes - one.ModelBytes >= GeoPopulationModel.RingSamples * 24, $"{two.ModelBytes} vs {one.ModelBytes}");
    }

    private static AnalysisSpec Spec(string? by, string? partition, IReadOnlyList<DetectorRuleSpec>? rules = null) =>
        new(
            "geo",
            Gen.SpanMs,
            0,
            [new DetectorSpec(0, "lat_long", "location", by, "user", partition, false, null, "lat_long(location) over user", Rules: rules)],
            ["user"],
            null,
            ["location", "user", "device", "tenant"],
            false);

    /// <summary>
    /// 60 people, each living somewhere around Paris (home within about 0.3° of 48.85, 2.35), log in 1 to 3 times a
    /// bucket near home from a phone (one in three people) or a laptop; people 0–29 are tenant t1, the others t2.
    /// With <paramref name="far"/>, u17 logs in once from Sydney in the anomaly bucket. With <paramref name="interim"/>,
    /// interim results of each bucket are written there before it closes.
    /// </summary>
    private static void Feed(AnomalyDetectorPipeline pipeline, int from, int to, CollectingSink sink, bool far,
        CollectingSink? interim = null)
    {
        var homes = new Random(5);
        var homeLat = new double[People];
        var homeLon = new double[People];
        for (var u = 0; u < People; u++)
        {
            homeLat[u] = Gen.Normal(homes, 48.85, 0.3);
            homeLon[u] = Gen.Normal(homes, 2.35, 0.3);
        }

        var random = new Random(from + 17);
        var rec = new TestRecord(4);
        for (var b = from; b < to; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var u = 0; u < People; u++)
            {
                var device = u % 3 == 0 ? "phone" : "laptop";
                var tenant = u < People / 2 ? "t1" : "t2";
                var text = far && b == AnomalyBucket && u == 17
                    ? "-33.9,151.2"
                    : Point(Gen.Normal(random, homeLat[u], 0.02), Gen.Normal(random, homeLon[u], 0.02));
                var logins = far && b == AnomalyBucket && u == 17 ? 1 : 1 + random.Next(3);
                for (var i = 0; i < logins; i++)
                {
                    pipeline.OnRecord(start + (u * 10) + i, rec.Clear().Str(0, text).Str(1, "u" + u).Str(2, device).Str(3, tenant).Fields);
                }
            }

            if (interim is not null)
            {
                pipeline.EmitInterim(start, interim);
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static string Point(double lat, double lon) => string.Create(CultureInfo.InvariantCulture, $"{lat},{lon}");

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
