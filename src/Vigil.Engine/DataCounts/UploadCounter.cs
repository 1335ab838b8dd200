namespace Vigil.Engine.DataCounts;

/// <summary>The counts of one <c>_data</c> upload (Elasticsearch's "incremental" data counts).</summary>
/// <remarks>Created by <see cref="DataCountsTracker.BeginUpload"/>; updated by the tracker only.</remarks>
public sealed class UploadCounter
{
    internal CountFields Counts;

    internal UploadCounter(long analysedFieldsPerRecord)
    {
        AnalysedFieldsPerRecord = analysedFieldsPerRecord;
    }

    internal long AnalysedFieldsPerRecord { get; }

    /// <summary>The upload's counts so far, as the post-data response shows them (no <c>log_time</c>).</summary>
    public DataCountsSnapshot Snapshot() => Counts.ToSnapshot(AnalysedFieldsPerRecord, logTime: null);
}

/// <summary>The mutable counters behind a snapshot.</summary>
internal struct CountFields
{
    public long ProcessedRecordCount;
    public long InputBytes;
    public long InputFieldCount;
    public long InvalidDateCount;
    public long MissingFieldCount;
    public long OutOfOrderTimestampCount;
    public long EmptyBucketCount;
    public long SparseBucketCount;
    public long BucketCount;
    public long? EarliestRecordTimestamp;
    public long? LatestRecordTimestamp;
    public long? LastDataTime;
    public long? LatestEmptyBucketTimestamp;
    public long? LatestSparseBucketTimestamp;

    public static CountFields From(DataCountsSnapshot s) => new()
    {
        ProcessedRecordCount = s.ProcessedRecordCount,
        InputBytes = s.InputBytes,
        InputFieldCount = s.InputFieldCount,
        InvalidDateCount = s.InvalidDateCount,
        MissingFieldCount = s.MissingFieldCount,
        OutOfOrderTimestampCount = s.OutOfOrderTimestampCount,
        EmptyBucketCount = s.EmptyBucketCount,
        SparseBucketCount = s.SparseBucketCount,
        BucketCount = s.BucketCount,
        EarliestRecordTimestamp = s.EarliestRecordTimestamp,
        LatestRecordTimestamp = s.LatestRecordTimestamp,
        LastDataTime = s.LastDataTime,
        LatestEmptyBucketTimestamp = s.LatestEmptyBucketTimestamp,
        LatestSparseBucketTimestamp = s.LatestSparseBucketTimestamp,
    };

    /// <summary>Adds bucket diagnostics; latest times only move forward (ES <c>updateLatest*BucketTimeStamp</c>).</summary>
    public void AddDiagnostics(long buckets, long empty, long sparse, long? latestEmpty, long? latestSparse)
    {
        BucketCount += buckets;
        EmptyBucketCount += empty;
        SparseBucketCount += sparse;
        if (latestEmpty is { } e && (LatestEmptyBucketTimestamp is null || e > LatestEmptyBucketTimestamp))
        {
            LatestEmptyBucketTimestamp = e;
        }

        if (latestSparse is { } s && (LatestSparseBucketTimestamp is null || s > LatestSparseBucketTimestamp))
        {
            LatestSparseBucketTimestamp = s;
        }
    }

    public readonly DataCountsSnapshot ToSnapshot(long analysedFieldsPerRecord, long? logTime)
    {
        // Implementation note: DataCounts.calcProcessedFieldCount; negative results are floored at 0.
        var processedFields = Math.Max((ProcessedRecordCount * analysedFieldsPerRecord) - MissingFieldCount, 0);
        return new DataCountsSnapshot
        {
            ProcessedRecordCount = ProcessedRecordCount,
            ProcessedFieldCount = processedFields,
            InputBytes = InputBytes,
            InputFieldCount = InputFieldCount,
            InvalidDateCount = InvalidDateCount,
            MissingFieldCount = MissingFieldCount,
            OutOfOrderTimestampCount = OutOfOrderTimestampCount,
            EmptyBucketCount = EmptyBucketCount,
            SparseBucketCount = SparseBucketCount,
            BucketCount = BucketCount,
            EarliestRecordTimestamp = EarliestRecordTimestamp,
            LatestRecordTimestamp = LatestRecordTimestamp,
            LastDataTime = LastDataTime,
            LatestEmptyBucketTimestamp = LatestEmptyBucketTimestamp,
            LatestSparseBucketTimestamp = LatestSparseBucketTimestamp,
            LogTime = logTime,
        };
    }
}
