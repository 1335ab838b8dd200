namespace Vigil.Engine.DataCounts;

/// <summary>
/// A moving window of per-bucket record counts used to report empty and sparse buckets.
/// </summary>
/// <remarks>
/// Implementation note: mirrors Elasticsearch's <c>BucketDiagnostics</c> and
/// <c>DataStreamDiagnostics</c> (x-pack ml, job/process/diagnostics). The window is a ring of
/// <c>max(ceil(latency / span), 10)</c> buckets. When a record lands in a later bucket, the window
/// slides and each bucket pushed out of it is "flushed" (counted). At the end of an upload every
/// bucket but the newest is flushed without leaving the window; a bucket is never flushed twice
/// (the latest flushed start is remembered). A flushed bucket with 0 records is empty; otherwise it is
/// sparse when <c>ln(window average) − ln(count) &gt; 2</c>, the average being taken over the window
/// as it is at flush time. Records older than the window wrap into the ring exactly as in ES.
/// Counts accumulate until <see cref="TakeCounts"/> hands them to the tracker (ES's
/// <c>retrieveDiagnosticsIntermediateResults</c>), the latest empty/sparse times persist.
/// </remarks>
internal sealed class BucketDiagnostics
{
    private const int MinBuckets = 10;
    private const double SparsityThreshold = 2;

    private readonly long _bucketSpanMs;
    private readonly int _maxSize;
    private readonly long[] _buckets;
    private long _movingBucketCount;
    private long _latestBucketStartMs = -1;
    private int _latestBucketIndex;
    private long _earliestBucketStartMs = -1;
    private int _earliestBucketIndex;
    private long _latestFlushedBucketStartMs = -1;

    private long _bucketCount;
    private long _emptyBucketCount;
    private long _sparseBucketCount;
    private long _latestEmptyBucketTime = -1;
    private long _latestSparseBucketTime = -1;

    /// <summary>Creates the window; seeds it with the restored latest record time like ES does on job open.</summary>
    public BucketDiagnostics(long bucketSpanMs, long latencyMs, long? restoredLatestRecordMs)
    {
        if (bucketSpanMs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bucketSpanMs), "bucket span must be positive");
        }

        _bucketSpanMs = bucketSpanMs;
        _maxSize = (int)Math.Max(AlignToCeil(Math.Max(latencyMs, 0), bucketSpanMs) / bucketSpanMs, MinBuckets);
        _buckets = new long[_maxSize];
        if (restoredLatestRecordMs is { } latest)
        {
            AddRecord(latest);
        }
    }

    /// <summary>Ring size (for tests).</summary>
    internal int WindowSize => _maxSize;

    /// <summary>Counts one processed record.</summary>
    public void AddRecord(long recordTimestampMs)
    {
        var bucketStartMs = AlignToFloor(recordTimestampMs, _bucketSpanMs);
        if (_latestBucketStartMs < 0)
        {
            _latestBucketStartMs = bucketStartMs;
            _earliestBucketStartMs = bucketStartMs;
        }

        if (bucketStartMs > _latestBucketStartMs)
        {
            AdvanceTime(bucketStartMs);
        }

        var offsetToLatest = (int)((bucketStartMs - _latestBucketStartMs) / _bucketSpanMs);
        var bucketIndex = (_latestBucketIndex + offsetToLatest) % _maxSize;
        if (bucketIndex < 0)
        {
            bucketIndex += _maxSize;
        }

        _buckets[bucketIndex]++;
        _movingBucketCount++;
        if (bucketStartMs < _earliestBucketStartMs)
        {
            _earliestBucketStartMs = bucketStartMs;
            _earliestBucketIndex = bucketIndex;
        }
    }

    /// <summary>End of upload: flush every bucket in the window except the newest.</summary>
    public void Flush()
    {
        if (_latestBucketStartMs < 0)
        {
            return;
        }

        var index = _earliestBucketIndex;
        while (index != _latestBucketIndex)
        {
            FlushBucket(index);
            index = (index + 1) % _maxSize;
        }
    }

    /// <summary>Returns the counts gathered since the last call and resets them (latest times are kept).</summary>
    public (long Buckets, long Empty, long Sparse, long? LatestEmpty, long? LatestSparse) TakeCounts()
    {
        var result = (_bucketCount, _emptyBucketCount, _sparseBucketCount,
            _latestEmptyBucketTime > 0 ? _latestEmptyBucketTime : (long?)null,
            _latestSparseBucketTime > 0 ? _latestSparseBucketTime : (long?)null);
        _bucketCount = 0;
        _emptyBucketCount = 0;
        _sparseBucketCount = 0;
        return result;
    }

    internal static long AlignToFloor(long value, long interval)
    {
        var result = value / interval * interval;
        return result == value || value >= 0 ? result : result - interval;
    }

    internal static long AlignToCeil(long value, long interval)
    {
        var result = AlignToFloor(value, interval);
        return result == value ? result : result + interval;
    }

    private void AdvanceTime(long bucketStartMs)
    {
        while (bucketStartMs > _latestBucketStartMs)
        {
            var flushIndex = (_latestBucketIndex + 1) % _maxSize;
            if (flushIndex == _earliestBucketIndex)
            {
                FlushBucket(flushIndex);
                _movingBucketCount -= _buckets[flushIndex];
                _earliestBucketStartMs += _bucketSpanMs;
                _earliestBucketIndex = (_earliestBucketIndex + 1) % _maxSize;
            }

            _buckets[flushIndex] = 0;
            _latestBucketStartMs += _bucketSpanMs;
            _latestBucketIndex = flushIndex;
        }
    }

    private void FlushBucket(int index)
    {
        var offset = _latestBucketIndex - index;
        if (offset < 0)
        {
            offset += _maxSize;
        }

        var startMs = _latestBucketStartMs - (offset * _bucketSpanMs);
        if (startMs <= _latestFlushedBucketStartMs)
        {
            return;
        }

        var count = _buckets[index];
        _bucketCount++;
        if (count == 0)
        {
            _emptyBucketCount++;
            _latestEmptyBucketTime = startMs;
        }
        else
        {
            var size = ((_latestBucketStartMs - _earliestBucketStartMs) / _bucketSpanMs) + 1;
            var average = (double)_movingBucketCount / size;
            if (Math.Log(average) - Math.Log(count) > SparsityThreshold)
            {
                _sparseBucketCount++;
                _latestSparseBucketTime = startMs;
            }
        }

        _latestFlushedBucketStartMs = startMs;
    }
}
