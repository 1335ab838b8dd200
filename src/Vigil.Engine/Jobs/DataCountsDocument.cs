using System.Text.Json;
using Vigil.Engine.DataCounts;

namespace Vigil.Engine.Jobs;

/// <summary>Reads back the <c>data_counts</c> documents that <see cref="DataCountsSnapshot.WriteTo"/> wrote.</summary>
public static class DataCountsDocument
{
    /// <summary>Parses a persisted <c>data_counts</c> document.</summary>
    public static DataCountsSnapshot Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var e = document.RootElement;
        return new DataCountsSnapshot
        {
            ProcessedRecordCount = Long(e, "processed_record_count"),
            ProcessedFieldCount = Long(e, "processed_field_count"),
            InputBytes = Long(e, "input_bytes"),
            InputFieldCount = Long(e, "input_field_count"),
            InvalidDateCount = Long(e, "invalid_date_count"),
            MissingFieldCount = Long(e, "missing_field_count"),
            OutOfOrderTimestampCount = Long(e, "out_of_order_timestamp_count"),
            EmptyBucketCount = Long(e, "empty_bucket_count"),
            SparseBucketCount = Long(e, "sparse_bucket_count"),
            BucketCount = Long(e, "bucket_count"),
            EarliestRecordTimestamp = OptionalLong(e, "earliest_record_timestamp"),
            LatestRecordTimestamp = OptionalLong(e, "latest_record_timestamp"),
            LastDataTime = OptionalLong(e, "last_data_time"),
            LatestEmptyBucketTimestamp = OptionalLong(e, "latest_empty_bucket_timestamp"),
            LatestSparseBucketTimestamp = OptionalLong(e, "latest_sparse_bucket_timestamp"),
            LogTime = OptionalLong(e, "log_time"),
        };
    }

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetInt64() : 0;

    private static long? OptionalLong(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetInt64() : null;
}
