using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

public sealed class PipelineScenarioTests
{
    private const int Buckets = 300;

    [Fact]
    public void Mean_by_airline_puts_the_entity_that_went_wrong_on_top()
    {
        // Arrange: 20 airlines, ~10 records each per 10-minute bucket; AAL's response time jumps in bucket 250.
        var spec = Gen.Spec("mean", "responsetime", "airline", null, ["responsetime", "airline"], influencers: ["airline"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(1234);
        var airlines = new string[20];
        for (var a = 0; a < airlines.Length; a++)
        {
            airlines[a] = a == 0 ? "AAL" : "A" + a.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
        }

        // Act
        for (var b = 0; b < Buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 10; i++)
            {
                for (var a = 0; a < airlines.Length; a++)
                {
                    var mean = 100 + (10 * a);
                    var value = Gen.Normal(random, b == 250 && a == 0 ? mean + 60 : mean, 8);
                    pipeline.OnRecord(start + (i * 60_000) + a, rec.Clear().Num(0, value).Str(1, airlines[a]).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        // Assert
        Assert.Equal(Buckets, sink.Buckets.Count);
        var anomalyTime = Gen.Start + (250 * Gen.SpanMs);
        var top = sink.Records.Where(r => r.Timestamp == anomalyTime).OrderByDescending(r => r.RecordScore).First();
        Assert.Equal("AAL", top.ByFieldValue);
        Assert.Equal("airline", top.ByFieldName);
        Assert.Equal("mean", top.Function);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
        Assert.True(top.Actual![0] > top.Typical![0] + 40);
        var bucket = sink.Buckets.Single(b => b.Timestamp == anomalyTime);
        Assert.True(bucket.AnomalyScore > 50, $"anomaly_score {bucket.AnomalyScore}");
        Assert.Equal(200, bucket.EventCount);
        Assert.Equal("bucket_time", bucket.BucketInfluencers[0].InfluencerFieldName);
        Assert.Contains(bucket.BucketInfluencers, bi => bi.InfluencerFieldName == "airline");
        var influencer = sink.Influencers.Where(i => i.Timestamp == anomalyTime).OrderByDescending(i => i.InfluencerScore).First();
        Assert.Equal("AAL", influencer.InfluencerFieldValue);
        Assert.Equal("airline", top.Influencers!.Single().InfluencerFieldName);
        Assert.Equal(["AAL"], top.Influencers!.Single().InfluencerFieldValues);

        // The injected anomaly is the highest-scored record of the whole run, and clean series stay at chance level.
        Assert.Same(top, sink.Records.MaxBy(r => r.RecordScore));
        AssertChanceLevel(sink, 20, anomalyTime);
    }

    [Fact]
    public void High_count_spike_scores_the_bucket_and_the_record()
    {
        var spec = Gen.Spec("high_count", null, null, null, []);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(0);
        var random = new Random(42);
        for (var b = 0; b < Buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var n = b == 200 ? 90 : Gen.Poisson(random, 20);
            for (var i = 0; i < n; i++)
            {
                pipeline.OnRecord(start + (i * 1000), rec.Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        var spikeTime = Gen.Start + (200 * Gen.SpanMs);
        var record = Assert.Single(sink.Records, r => r.Timestamp == spikeTime);
        Assert.Equal("high_count", record.Function);
        Assert.Equal("count", record.FunctionDescription);
        Assert.Equal(90, record.Actual![0]);
        Assert.True(record.RecordScore > 50, $"record_score {record.RecordScore}");
        var bucket = sink.Buckets.Single(b => b.Timestamp == spikeTime);
        Assert.Equal(90, bucket.EventCount);
        Assert.True(bucket.AnomalyScore > 50, $"anomaly_score {bucket.AnomalyScore}");
        Assert.Equal(bucket.AnomalyScore, sink.Buckets.Max(b => b.AnomalyScore));
        Assert.Same(record, sink.Records.MaxBy(r => r.RecordScore));
        AssertChanceLevel(sink, 1, spikeTime);
    }

    [Fact]
    public void Partition_metric_shift_is_reported_for_that_partition()
    {
        var spec = Gen.Spec("mean", "cpu", null, "host", ["cpu", "host"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(2);
        var random = new Random(7);
        string[] hosts = ["h0", "h1", "h2", "h3", "h4"];
        for (var b = 0; b < Buckets; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            for (var i = 0; i < 5; i++)
            {
                for (var h = 0; h < hosts.Length; h++)
                {
                    var level = h == 3 && b >= 220 ? 75.0 : 40.0;
                    pipeline.OnRecord(start + (i * 1000), rec.Clear().Num(0, Gen.Normal(random, level, 3)).Str(1, hosts[h]).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var shiftTime = Gen.Start + (220 * Gen.SpanMs);
        var top = sink.Records.Where(r => r.Timestamp == shiftTime).OrderByDescending(r => r.RecordScore).First();
        Assert.Equal("h3", top.PartitionFieldValue);
        Assert.Equal("host", top.PartitionFieldName);
        Assert.Null(top.ByFieldName);
        Assert.True(top.RecordScore > 50, $"record_score {top.RecordScore}");
        Assert.Equal(5, pipeline.PartitionFieldCount);
        Assert.Equal("h3", sink.Records.MaxBy(r => r.RecordScore)!.PartitionFieldValue);
        AssertChanceLevel(sink, 4, -1, r => r.PartitionFieldValue != "h3");
    }

    [Fact]
    public void Low_count_reports_a_silent_series_as_zero()
    {
        var spec = Gen.Spec("low_count", null, "host", null, ["host"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(3);
        for (var b = 0; b < 200; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            foreach (var host in (string[])["web", "db"])
            {
                var n = host == "db" && b >= 150 ? 0 : Gen.Poisson(random, 30);
                for (var i = 0; i < n; i++)
                {
                    pipeline.OnRecord(start + i, rec.Clear().Str(0, host).Fields);
                }
            }

            pipeline.CloseBucket(start, sink);
        }

        var silent = sink.Records.Where(r => r.Timestamp == Gen.Start + (150 * Gen.SpanMs)).Single();
        Assert.Equal("db", silent.ByFieldValue);
        Assert.Equal(0, silent.Actual![0]);
        Assert.True(silent.RecordScore > 25, $"record_score {silent.RecordScore}");
    }

    [Fact]
    public void Non_zero_count_skips_empty_buckets()
    {
        var spec = Gen.Spec("non_zero_count", null, "host", null, ["host"]);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var rec = new TestRecord(1);
        var random = new Random(5);
        for (var b = 0; b < 200; b++)
        {
            var start = Gen.Start + (b * Gen.SpanMs);
            var n = b % 2 == 0 ? 0 : 10 + Gen.Poisson(random, 2);
            for (var i = 0; i < n; i++)
            {
                pipeline.OnRecord(start + i, rec.Clear().Str(0, "web").Fields);
            }

            pipeline.CloseBucket(start, sink);
        }

        // Every other bucket is empty: with empty buckets skipped, the alternation is not anomalous.
        AssertChanceLevel(sink, 1, -1);
        Assert.Equal(200, sink.Buckets.Count);
        Assert.Equal(0, sink.Buckets[100].EventCount);
    }

    /// <summary>
    /// Clean series after warm-up: with calibrated probabilities, chance events (p ≈ 1e-3 happens once in
    /// a thousand series-buckets) legitimately reach scores above 25 under ES normalization, so the
    /// check is on the rate. A score above 25 needs p &lt; 0.0134 (the absolute-probability ceiling), so a
    /// calibrated model puts at most 1.34% of clean series-buckets there; we allow 1.5%, none above 90
    /// with p &gt; 1e-3, and no clean bucket above 75.
    /// </summary>
    private static void AssertChanceLevel(CollectingSink sink, int cleanSeries, long anomalyTime, Func<Vigil.Engine.Results.RecordDocument, bool>? clean = null)
    {
        var warm = Gen.Start + (30 * Gen.SpanMs);
        var buckets = sink.Buckets.Count(b => b.Timestamp >= warm);
        var records = sink.Records
            .Where(r => r.Timestamp >= warm && r.Timestamp != anomalyTime && r.Timestamp != anomalyTime + Gen.SpanMs && (clean is null || clean(r)))
            .ToList();
        var above25 = records.Count(r => r.RecordScore > 25);
        Assert.True(above25 <= 0.015 * buckets * cleanSeries, $"{above25} clean records above 25 in {buckets * cleanSeries} series-buckets");
        Assert.DoesNotContain(records, r => r.RecordScore > 90 && r.Probability > 1e-3);
        if (anomalyTime >= 0)
        {
            Assert.DoesNotContain(sink.Buckets, b => b.Timestamp >= warm && b.Timestamp != anomalyTime && b.Timestamp != anomalyTime + Gen.SpanMs && b.AnomalyScore > 75);
        }
    }
}
