using System.Runtime.CompilerServices;
using Vigil.Engine.Input;

namespace Vigil.Engine.DataCounts;

/// <summary>
/// The running <c>data_counts</c> of an open job plus the counts of the upload in progress.
/// Readers call the <c>Report*</c>/<see cref="TryAcceptRecord"/> methods once per record; none allocates.
/// </summary>
/// <remarks>
/// <para>Implementation note: mirrors Elasticsearch's <c>DataCountsReporter</c> together with the
/// out-of-order check of <c>AbstractDataToProcessWriter.transformTimeAndWrite</c>. One tracker lives as
/// long as the job is open (ES creates one reporter per autodetect process); its bucket-diagnostics
/// window survives across uploads.</para>
/// <para>Flush with <c>skip_time</c>/<c>advance_time</c> does not touch data counts in ES (the skip is
/// applied by the native process; the Java out-of-order check only looks at the latest record time),
/// so the tracker has no method for them: records posted after a skip are counted as processed even
/// though the analysis ignores them (post_data.yml test 3).</para>
/// <para>Not thread-safe: uploads to one job are serialised by the caller.</para>
/// </remarks>
public sealed class DataCountsTracker
{
    private const long MsInSecond = 1000;

    private readonly TimeProvider _time;
    private readonly long _bucketSpanMs;
    private readonly long _latencySeconds;
    private readonly long _analysedFieldsPerRecord;
    private readonly BucketDiagnostics _diagnostics;
    private CountFields _totals;
    private long? _logTime;
    private UploadCounter _upload;

    // Per-upload state of the out-of-order check (ES keeps it in the per-upload writer).
    private long _latestEpochMs;
    private long _latestEpochMsThisUpload;

    /// <summary>Creates the tracker when a job opens.</summary>
    /// <param name="schema">The job's ingest schema (bucket span and latency drive out-of-order and diagnostics).</param>
    /// <param name="requiredFieldCount">Number of distinct required input fields, including the time field.</param>
    /// <param name="restored">Persisted totals to continue from, or null for a job that never saw data.</param>
    /// <param name="time">Clock for <c>last_data_time</c> and <c>log_time</c>.</param>
    public DataCountsTracker(IngestSchema schema, int requiredFieldCount, DataCountsSnapshot? restored, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(requiredFieldCount, 1);
        _time = time;
        _bucketSpanMs = schema.BucketSpanMs;
        _latencySeconds = schema.LatencyMs / MsInSecond;

        // Implementation note: ES sets analysedFieldsPerRecord = inputFields().size() - 1 when the first
        // upload builds its field mapping (before that it is 1, so an open job's stats between a reopen and
        // the first upload show processed_records × 1 − missing). We use the real value from the start.
        _analysedFieldsPerRecord = requiredFieldCount - 1;
        _totals = restored is null ? default : CountFields.From(restored);
        _logTime = restored?.LogTime;
        _diagnostics = new BucketDiagnostics(schema.BucketSpanMs, schema.LatencyMs, _totals.LatestRecordTimestamp);
        _upload = new UploadCounter(_analysedFieldsPerRecord);
        ResetOrderingState();
    }

    /// <summary>The running totals as <c>_stats</c> shows them (processed_field_count computed).</summary>
    public DataCountsSnapshot Totals => _totals.ToSnapshot(_analysedFieldsPerRecord, _logTime);

    /// <summary>The counter of the upload in progress (or of the last one).</summary>
    public UploadCounter CurrentUpload => _upload;

    /// <summary>Starts counting a new <c>_data</c> call (ES <c>startNewIncrementalCount</c>).</summary>
    /// <remarks>Diagnostics gathered since the last <see cref="FinishUpload"/> (e.g. buckets that slid out of
    /// the window during an upload that failed) are added to the totals and to the new upload, as ES does.</remarks>
    public UploadCounter BeginUpload()
    {
        _upload = new UploadCounter(_analysedFieldsPerRecord);
        RetrieveDiagnostics();
        ResetOrderingState();
        return _upload;
    }

    /// <summary>Adds bytes read from the request body.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReportBytes(long count)
    {
        _totals.InputBytes += count;
        _upload.Counts.InputBytes += count;
    }

    /// <summary>Adds required fields missing from one record (records with missing fields are still processed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReportMissingFields(long count)
    {
        _totals.MissingFieldCount += count;
        _upload.Counts.MissingFieldCount += count;
    }

    /// <summary>A record whose time was absent, empty or unparseable: dropped, counted.</summary>
    /// <param name="inputFieldCount">The record's leaf-field count minus one, floored at 0.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReportInvalidDate(long inputFieldCount)
    {
        _totals.InvalidDateCount++;
        _totals.InputFieldCount += inputFieldCount;
        _upload.Counts.InvalidDateCount++;
        _upload.Counts.InputFieldCount += inputFieldCount;
    }

    /// <summary>
    /// Applies the out-of-order rule to a record with a valid time and counts it. Returns true when the
    /// record is processed (the caller then hands it to the analysis), false when it was dropped as out of order.
    /// </summary>
    /// <param name="epochMs">Record time.</param>
    /// <param name="inputFieldCount">The record's leaf-field count minus one, floored at 0.</param>
    public bool TryAcceptRecord(long epochMs, long inputFieldCount)
    {
        // Implementation note: AbstractDataToProcessWriter compares whole seconds (Java long division,
        // truncating) against the start of the bucket holding the latest record, minus latency seconds.
        var latestBucketFloor = BucketDiagnostics.AlignToFloor(_latestEpochMs, _bucketSpanMs);
        if (epochMs / MsInSecond < (latestBucketFloor / MsInSecond) - _latencySeconds)
        {
            _totals.OutOfOrderTimestampCount++;
            _totals.InputFieldCount += inputFieldCount;
            _upload.Counts.OutOfOrderTimestampCount++;
            _upload.Counts.InputFieldCount += inputFieldCount;
            if (epochMs > _latestEpochMsThisUpload)
            {
                // ES records an out-of-order time in the upload's latest_record_timestamp only.
                _latestEpochMsThisUpload = epochMs;
                _upload.Counts.LatestRecordTimestamp = epochMs;
            }

            return false;
        }

        if (epochMs > _latestEpochMs)
        {
            _latestEpochMs = epochMs;
        }

        _latestEpochMsThisUpload = _latestEpochMs;

        _totals.InputFieldCount += inputFieldCount;
        _totals.ProcessedRecordCount++;
        _totals.LatestRecordTimestamp = _latestEpochMs;
        _upload.Counts.InputFieldCount += inputFieldCount;
        _upload.Counts.ProcessedRecordCount++;
        _upload.Counts.LatestRecordTimestamp = _latestEpochMs;
        if (_totals.EarliestRecordTimestamp is null)
        {
            _totals.EarliestRecordTimestamp = epochMs;
            _upload.Counts.EarliestRecordTimestamp = epochMs;
        }

        _diagnostics.AddRecord(epochMs);
        return true;
    }

    /// <summary>Flushes every diagnostic bucket but the newest (end of upload; ES <c>diagnostics.flush()</c>).</summary>
    /// <remarks>The counts become visible in totals and in the upload at <see cref="FinishUpload"/> or the next
    /// <see cref="BeginUpload"/>.</remarks>
    public void FlushBucketDiagnostics() => _diagnostics.Flush();

    /// <summary>
    /// Ends a successful upload (ES <c>finishReporting</c>): sets <c>last_data_time</c> to now in totals and upload,
    /// flushes bucket diagnostics into both, and stamps <c>log_time</c> on the totals (ES stamps it when it
    /// persists them right after). Returns the upload's counts for the response.
    /// </summary>
    public DataCountsSnapshot FinishUpload()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _upload.Counts.LastDataTime = now;
        _totals.LastDataTime = now;
        FlushBucketDiagnostics();
        RetrieveDiagnostics();
        _logTime = now;
        return _upload.Snapshot();
    }

    private void RetrieveDiagnostics()
    {
        var (buckets, empty, sparse, latestEmpty, latestSparse) = _diagnostics.TakeCounts();
        _totals.AddDiagnostics(buckets, empty, sparse, latestEmpty, latestSparse);
        _upload.Counts.AddDiagnostics(buckets, empty, sparse, latestEmpty, latestSparse);
    }

    private void ResetOrderingState()
    {
        _latestEpochMs = _totals.LatestRecordTimestamp ?? 0;
        _latestEpochMsThisUpload = 0;
    }
}
