using System.Globalization;
using System.Text.Json;

namespace Vigil.Engine.DataCounts;

/// <summary>
/// One immutable copy of a job's <c>data_counts</c>: either the running totals (what
/// <c>GET _ml/anomaly_detectors/{id}/_stats</c> shows and what is persisted) or the counts of one
/// <c>_data</c> upload (what the post-data response shows).
/// </summary>
/// <remarks>
/// Timestamps are epoch milliseconds, <c>null</c> when never set. <see cref="ProcessedFieldCount"/> is
/// stored as computed at snapshot time; <see cref="InputRecordCount"/> is always derived.
/// The type is a plain record with public init properties, so System.Text.Json (source generated,
/// snake_case) can persist it; <see cref="WriteTo"/> writes the Elasticsearch wire form.
/// </remarks>
public sealed record DataCountsSnapshot
{
    /// <summary>Records forwarded to analysis.</summary>
    public long ProcessedRecordCount { get; init; }

    /// <summary><c>processed_record_count × (required fields − 1) − missing_field_count</c>, floored at 0.</summary>
    public long ProcessedFieldCount { get; init; }

    /// <summary>Bytes read from request bodies.</summary>
    public long InputBytes { get; init; }

    /// <summary>Leaf fields seen in records (minus one per record for the time field).</summary>
    public long InputFieldCount { get; init; }

    /// <summary>Records dropped because the time was absent or unparseable.</summary>
    public long InvalidDateCount { get; init; }

    /// <summary>Required fields that were absent (or null) in records.</summary>
    public long MissingFieldCount { get; init; }

    /// <summary>Records dropped because they were older than the current bucket minus latency.</summary>
    public long OutOfOrderTimestampCount { get; init; }

    /// <summary>Flushed diagnostic buckets that had no records.</summary>
    public long EmptyBucketCount { get; init; }

    /// <summary>Flushed diagnostic buckets with far fewer records than the window average.</summary>
    public long SparseBucketCount { get; init; }

    /// <summary>Diagnostic buckets flushed.</summary>
    public long BucketCount { get; init; }

    /// <summary>Time of the first processed record, epoch ms.</summary>
    public long? EarliestRecordTimestamp { get; init; }

    /// <summary>Time of the latest record, epoch ms.</summary>
    public long? LatestRecordTimestamp { get; init; }

    /// <summary>Wall-clock time at the end of the last upload, epoch ms.</summary>
    public long? LastDataTime { get; init; }

    /// <summary>Start of the latest empty bucket, epoch ms.</summary>
    public long? LatestEmptyBucketTimestamp { get; init; }

    /// <summary>Start of the latest sparse bucket, epoch ms.</summary>
    public long? LatestSparseBucketTimestamp { get; init; }

    /// <summary>When the counts were last persisted, epoch ms.</summary>
    public long? LogTime { get; init; }

    /// <summary><c>processed_record_count + out_of_order_timestamp_count + invalid_date_count</c>.</summary>
    public long InputRecordCount => ProcessedRecordCount + OutOfOrderTimestampCount + InvalidDateCount;

    /// <summary>All counts zero, no timestamps (a job that never saw data).</summary>
    public static DataCountsSnapshot Empty { get; } = new();

    /// <summary>
    /// Writes the <c>data_counts</c> object in Elasticsearch's field order (DataCounts.doXContentBody):
    /// counters, then the timestamps that are set, then <c>input_record_count</c>, then <c>log_time</c>.
    /// </summary>
    /// <param name="w">Destination.</param>
    /// <param name="jobId">The job id written as <c>job_id</c>.</param>
    /// <param name="human">When true, each timestamp is preceded by a <c>&lt;name&gt;_string</c> ISO-8601 twin.</param>
    public void WriteTo(Utf8JsonWriter w, string jobId, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id"u8, jobId);
        w.WriteNumber("processed_record_count"u8, ProcessedRecordCount);
        w.WriteNumber("processed_field_count"u8, ProcessedFieldCount);
        w.WriteNumber("input_bytes"u8, InputBytes);
        w.WriteNumber("input_field_count"u8, InputFieldCount);
        w.WriteNumber("invalid_date_count"u8, InvalidDateCount);
        w.WriteNumber("missing_field_count"u8, MissingFieldCount);
        w.WriteNumber("out_of_order_timestamp_count"u8, OutOfOrderTimestampCount);
        w.WriteNumber("empty_bucket_count"u8, EmptyBucketCount);
        w.WriteNumber("sparse_bucket_count"u8, SparseBucketCount);
        w.WriteNumber("bucket_count"u8, BucketCount);
        WriteTimestamp(w, "earliest_record_timestamp", EarliestRecordTimestamp, human);
        WriteTimestamp(w, "latest_record_timestamp", LatestRecordTimestamp, human);
        WriteTimestamp(w, "last_data_time", LastDataTime, human);
        WriteTimestamp(w, "latest_empty_bucket_timestamp", LatestEmptyBucketTimestamp, human);
        WriteTimestamp(w, "latest_sparse_bucket_timestamp", LatestSparseBucketTimestamp, human);
        w.WriteNumber("input_record_count"u8, InputRecordCount);
        WriteTimestamp(w, "log_time", LogTime, human);
        w.WriteEndObject();
    }

    /// <summary>Formats epoch milliseconds as Elasticsearch's <c>strict_date_optional_time</c> printer does: <c>2014-06-23T00:00:00.000Z</c>.</summary>
    public static string FormatIso(long epochMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteTimestamp(Utf8JsonWriter w, string name, long? value, bool human)
    {
        if (value is not { } ms)
        {
            return;
        }

        if (human)
        {
            w.WriteString(name + "_string", FormatIso(ms));
        }

        w.WriteNumber(name, ms);
    }
}
