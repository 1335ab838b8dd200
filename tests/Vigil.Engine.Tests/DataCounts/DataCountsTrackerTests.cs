using System.Text;
using System.Text.Json;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Input;
using Vigil.Engine.Tests.Input;

namespace Vigil.Engine.Tests.DataCounts;

public sealed class DataCountsTrackerTests
{
    private const long Hour = 3_600_000;
    private const long T0 = 1403481600000; // a bucket boundary for 1h buckets

    private static DataCountsTracker NewTracker(long latencyMs = 0, DataCountsSnapshot? restored = null, TimeProvider? time = null) =>
        new(new IngestSchema("time", "epoch_ms", ["f"], Hour, latencyMs), 2, restored, time ?? new ManualTimeProvider(TestJob.Now));

    private static void Add(DataCountsTracker tracker, long bucket, int records)
    {
        for (var i = 0; i < records; i++)
        {
            Assert.True(tracker.TryAcceptRecord(T0 + (bucket * Hour) + i, 1));
        }
    }

    [Fact]
    public void End_of_upload_flush_counts_all_but_the_newest_bucket_and_finds_empty_ones()
    {
        var tracker = NewTracker();
        tracker.BeginUpload();
        Add(tracker, 0, 1);
        Add(tracker, 3, 1);

        var upload = tracker.FinishUpload();

        // Buckets 0, 1, 2 are flushed (3 is the newest); 1 and 2 had no records.
        Assert.Equal(3, upload.BucketCount);
        Assert.Equal(2, upload.EmptyBucketCount);
        Assert.Equal(0, upload.SparseBucketCount);
        Assert.Equal(T0 + (2 * Hour), upload.LatestEmptyBucketTimestamp);
        Assert.Null(upload.LatestSparseBucketTimestamp);
        Assert.Equal(upload.BucketCount, tracker.Totals.BucketCount);
    }

    [Fact]
    public void A_bucket_is_sparse_when_log_average_minus_log_count_exceeds_two()
    {
        var tracker = NewTracker();
        tracker.BeginUpload();
        Add(tracker, 0, 100);
        Add(tracker, 1, 100);
        Add(tracker, 2, 1);
        Add(tracker, 3, 100);

        var upload = tracker.FinishUpload();

        // Window average at flush = 301 / 4 = 75.25; ln(75.25) − ln(1) = 4.32 > 2 for bucket 2 only.
        Assert.Equal(3, upload.BucketCount);
        Assert.Equal(1, upload.SparseBucketCount);
        Assert.Equal(T0 + (2 * Hour), upload.LatestSparseBucketTimestamp);
        Assert.Equal(0, upload.EmptyBucketCount);
    }

    [Fact]
    public void A_bucket_with_a_ratio_below_e_squared_is_not_sparse()
    {
        var tracker = NewTracker();
        tracker.BeginUpload();
        Add(tracker, 0, 20);
        Add(tracker, 1, 4);
        Add(tracker, 2, 20);

        var upload = tracker.FinishUpload();

        // average 44 / 3 = 14.67; ln(14.67) − ln(4) = 1.30 ≤ 2.
        Assert.Equal(0, upload.SparseBucketCount);
        Assert.Equal(2, upload.BucketCount);
    }

    [Fact]
    public void Buckets_leaving_the_window_are_flushed_once_even_across_uploads()
    {
        var tracker = NewTracker();
        tracker.BeginUpload();
        for (var b = 0; b < 12; b++)
        {
            Add(tracker, b, 1);
        }

        var first = tracker.FinishUpload();

        // Window of 10: buckets 0 and 1 slid out, the end flush counts 2..10; 11 stays open.
        Assert.Equal(11, first.BucketCount);

        tracker.BeginUpload();
        Add(tracker, 12, 1);
        var second = tracker.FinishUpload();

        // Bucket 2 slides out but was already flushed; the end flush adds only bucket 11.
        Assert.Equal(1, second.BucketCount);
        Assert.Equal(12, tracker.Totals.BucketCount);
    }

    [Fact]
    public void Window_size_follows_latency_with_a_minimum_of_ten_buckets()
    {
        Assert.Equal(10, new BucketDiagnostics(Hour, 0, null).WindowSize);
        Assert.Equal(10, new BucketDiagnostics(Hour, 9 * Hour, null).WindowSize);
        Assert.Equal(15, new BucketDiagnostics(Hour, (14 * Hour) + 1, null).WindowSize); // ceil(14h+1ms / 1h)
    }

    [Fact]
    public void Restored_counts_seed_the_window_and_continue_the_totals()
    {
        var restored = new DataCountsSnapshot
        {
            ProcessedRecordCount = 10,
            InputFieldCount = 10,
            InputBytes = 500,
            MissingFieldCount = 2,
            EarliestRecordTimestamp = T0 - (5 * Hour),
            LatestRecordTimestamp = T0,
            LastDataTime = 1,
            LogTime = 2,
        };
        var tracker = NewTracker(restored: restored);

        Assert.Equal(8, tracker.Totals.ProcessedFieldCount); // 10 × 1 − 2
        Assert.Equal(2, tracker.Totals.LogTime);

        tracker.BeginUpload();
        Assert.False(tracker.TryAcceptRecord(T0 - Hour, 1)); // older than the restored latest bucket
        Add(tracker, 3, 1);
        var upload = tracker.FinishUpload();

        // ES seeds the diagnostics with the restored latest time: bucket 0 (1 record), 1 and 2 (empty) flush.
        Assert.Equal(3, upload.BucketCount);
        Assert.Equal(2, upload.EmptyBucketCount);
        var totals = tracker.Totals;
        Assert.Equal(11, totals.ProcessedRecordCount);
        Assert.Equal(1, totals.OutOfOrderTimestampCount);
        Assert.Equal(T0 - (5 * Hour), totals.EarliestRecordTimestamp);
        Assert.Null(upload.EarliestRecordTimestamp);
        Assert.Equal(T0 + (3 * Hour), totals.LatestRecordTimestamp);
        Assert.Equal(12, totals.InputFieldCount);
    }

    [Fact]
    public void Finish_upload_stamps_last_data_time_and_log_time_from_the_clock()
    {
        var clock = new ManualTimeProvider(TestJob.Now);
        var tracker = NewTracker(time: clock);
        tracker.BeginUpload();
        tracker.ReportBytes(10);
        clock.Now = TestJob.Now.AddMinutes(5);

        var upload = tracker.FinishUpload();

        var expected = TestJob.Now.AddMinutes(5).ToUnixTimeMilliseconds();
        Assert.Equal(expected, upload.LastDataTime);
        Assert.Null(upload.LogTime);
        Assert.Equal(expected, tracker.Totals.LastDataTime);
        Assert.Equal(expected, tracker.Totals.LogTime);
        Assert.Equal(10, upload.InputBytes);
    }

    [Fact]
    public void Diagnostics_of_a_failed_upload_are_reported_with_the_next_one()
    {
        var tracker = NewTracker();
        tracker.BeginUpload();
        for (var b = 0; b < 11; b++)
        {
            Add(tracker, b, 1); // bucket 0 slides out of the window: flushed during the upload
        }

        // No FinishUpload (the upload failed); ES retrieves the counts at the next startNewIncrementalCount.
        var next = tracker.BeginUpload();

        Assert.Equal(1, next.Snapshot().BucketCount);
        Assert.Equal(1, tracker.Totals.BucketCount);
    }

    [Fact]
    public void WriteTo_uses_es_field_order_and_omits_null_timestamps()
    {
        var snapshot = new DataCountsSnapshot
        {
            ProcessedRecordCount = 2,
            ProcessedFieldCount = 4,
            InputBytes = 170,
            InputFieldCount = 6,
            EarliestRecordTimestamp = 1403481600000,
            LatestRecordTimestamp = 1403481700000,
            LastDataTime = 1403481800000,
        };

        var json = Write(snapshot, human: false);

        Assert.Equal(
            "{\"job_id\":\"j\",\"processed_record_count\":2,\"processed_field_count\":4,\"input_bytes\":170," +
            "\"input_field_count\":6,\"invalid_date_count\":0,\"missing_field_count\":0,\"out_of_order_timestamp_count\":0," +
            "\"empty_bucket_count\":0,\"sparse_bucket_count\":0,\"bucket_count\":0," +
            "\"earliest_record_timestamp\":1403481600000,\"latest_record_timestamp\":1403481700000," +
            "\"last_data_time\":1403481800000,\"input_record_count\":2}",
            json);
    }

    [Fact]
    public void WriteTo_with_human_writes_string_twins_before_each_timestamp()
    {
        var snapshot = new DataCountsSnapshot { LatestEmptyBucketTimestamp = 1403481600000, LogTime = 1403481600123 };

        var json = Write(snapshot, human: true);

        Assert.EndsWith(
            "\"bucket_count\":0,\"latest_empty_bucket_timestamp_string\":\"2014-06-23T00:00:00.000Z\"," +
            "\"latest_empty_bucket_timestamp\":1403481600000,\"input_record_count\":0," +
            "\"log_time_string\":\"2014-06-23T00:00:00.123Z\",\"log_time\":1403481600123}",
            json);
    }

    [Fact]
    public void Input_record_count_is_processed_plus_out_of_order_plus_invalid_dates()
    {
        var s = new DataCountsSnapshot { ProcessedRecordCount = 3, OutOfOrderTimestampCount = 4, InvalidDateCount = 5, MissingFieldCount = 100 };
        Assert.Equal(12, s.InputRecordCount);
    }

    [Fact]
    public void Snapshot_round_trips_through_system_text_json_with_snake_case_names()
    {
        var snapshot = new DataCountsSnapshot
        {
            ProcessedRecordCount = 1,
            ProcessedFieldCount = 2,
            InputBytes = 3,
            InputFieldCount = 4,
            InvalidDateCount = 5,
            MissingFieldCount = 6,
            OutOfOrderTimestampCount = 7,
            EmptyBucketCount = 8,
            SparseBucketCount = 9,
            BucketCount = 10,
            EarliestRecordTimestamp = 11,
            LatestRecordTimestamp = 12,
            LastDataTime = 13,
            LatestEmptyBucketTimestamp = 14,
            LatestSparseBucketTimestamp = 15,
            LogTime = 16,
        };
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

        var json = JsonSerializer.Serialize(snapshot, options);
        var back = JsonSerializer.Deserialize<DataCountsSnapshot>(json, options);

        Assert.Contains("\"out_of_order_timestamp_count\":7", json);
        Assert.Equal(snapshot, back);
    }

    private static string Write(DataCountsSnapshot snapshot, bool human)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            snapshot.WriteTo(w, "j", human);
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
