using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Input;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Results;

namespace Vigil.Engine.Jobs;

/// <summary>
/// The engine side of one open job: reads uploads, keeps the data counts, and drives the bucket clock that
/// decides when buckets are finalized, as Elasticsearch's native process does.
/// </summary>
/// <remarks>
/// <para>Implementation note (bucket clock, from ml-cpp's CAnomalyJob and the post_data/jobs_get_stats YAML
/// tests): the first analysed record sets the end of the "last finalized bucket" to the start of its bucket.
/// A record at time t finalizes every bucket that ends at or before t − latency, one result per bucket span,
/// empty buckets included. Records older than the last finalized bucket end are ignored by the analysis
/// (they were still counted as processed by the data counts, which only look at the latest record time).
/// <c>advance_time</c> finalizes up to the given time; <c>skip_time</c> moves the last finalized bucket end to
/// the next bucket boundary at or after it, dropping what was gathered before without results. Flush without
/// those and close finalize nothing.</para>
/// <para>Not thread-safe: the job grain calls it one request at a time.</para>
/// </remarks>
public sealed class JobProcessor : IRecordSink, IResultSink, IDisposable
{
    private const uint StateMagic = 0x4C474956; // "VIGL"
    private const int StateFormatVersion = 2;

    private readonly JobProcessorSpec _spec;
    private readonly TimeFormat _timeFormat;
    private readonly long _bucketSpanMs;
    private readonly long _latencyMs;
    private readonly List<object> _pendingResults = [];
    private readonly AnomalyDetectorPipeline _pipeline;
    private NdjsonRecordReader? _ndjson;
    private CsvRecordReader? _csv;
    private InputFormat? _uploadFormat;

    // Bucket clock.
    private long? _lastFinalizedBucketEndMs;
    private long _latestAnalysedTimeMs = long.MinValue;

    private long _peakModelBytes;
    private long _savedCategoryCount;

    /// <summary>Creates the processor when the job opens, continuing from persisted counts and state.</summary>
    public JobProcessor(JobProcessorSpec spec, DataCountsSnapshot? counts, ReadOnlySpan<byte> state, TimeProvider time)
    {
        _spec = spec;
        _timeFormat = TimeFormat.Create(spec.Schema.TimeFormat, time);
        _bucketSpanMs = spec.Schema.BucketSpanMs;
        _latencyMs = spec.Schema.LatencyMs;
        Counts = new DataCountsTracker(spec.Schema, spec.RequiredFieldCount, counts, time);
        Timing = new TimingStats();
        _pipeline = state.IsEmpty ? new AnomalyDetectorPipeline(spec.Analysis) : LoadState(state);
    }

    /// <summary>Running data counts.</summary>
    public DataCountsTracker Counts { get; }

    /// <summary>Timing statistics of finalized buckets.</summary>
    public TimingStats Timing { get; private set; }

    /// <summary>End of the last finalized bucket (ms), null before any data was analysed.</summary>
    public long? LastFinalizedBucketEndMs => _lastFinalizedBucketEndMs;

    /// <summary>Bytes the models of the job hold.</summary>
    public long ModelBytes => _pipeline.ModelBytes;

    /// <summary>
    /// Replaces every detector's custom rules with those of <paramref name="spec"/> (a job update while the job is open;
    /// the detectors themselves cannot change).
    /// </summary>
    public void UpdateRules(JobProcessorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var detectors = spec.Analysis.Detectors;
        for (var d = 0; d < detectors.Count; d++)
        {
            _pipeline.SetRules(d, detectors[d].Rules);
        }
    }

    /// <summary>
    /// Replaces the job's scheduled events (those of the calendars it belongs to) from the next bucket it scores; they
    /// are not part of the saved state (the job grain loads them when the job opens, as Elasticsearch sends them to the
    /// process at start and after a calendar change).
    /// </summary>
    public void SetScheduledEvents(IReadOnlyList<ScheduledEventSpec>? events) => _pipeline.SetScheduledEvents(events);

    /// <summary>Gives custom rule scopes naming filter <paramref name="filterId"/> its new items (ES updates an open job's process).</summary>
    public void UpdateFilter(string filterId, IReadOnlyCollection<string> items) => _pipeline.UpdateFilter(filterId, items);

    /// <summary>Largest <see cref="ModelBytes"/> seen since the job was created (sampled after each bucket).</summary>
    public long PeakModelBytes => Math.Max(_peakModelBytes, _pipeline.ModelBytes);

    /// <summary>The job's score normalizers as they are now, for renormalizing stored results.</summary>
    public Analysis.Scoring.ResultNormalizers Normalizers => _pipeline.Normalizers;

    /// <summary>Distinct by, over and partition field values modelled.</summary>
    public (int By, int Over, int Partition) FieldCounts => (_pipeline.ByFieldCount, _pipeline.OverFieldCount, _pipeline.PartitionFieldCount);

    /// <summary>
    /// Grows whenever the persistable state changes: the bucket clock moves or buckets are finalized, skipped or
    /// reset. Records gathered into a bucket that is still open are not part of the saved state (as in
    /// Elasticsearch, the first partial bucket after a restore is incomplete), so they do not count.
    /// </summary>
    public long StateVersion { get; private set; }

    /// <summary>Whether an upload is in progress.</summary>
    public bool InUpload => _uploadFormat is not null;

    /// <summary>Starts reading a <c>_data</c> body.</summary>
    /// <param name="format">Body encoding.</param>
    /// <param name="resetStartMs"><c>reset_start</c>: open buckets from here on are re-gathered from this upload.</param>
    /// <param name="resetEndMs"><c>reset_end</c>; defaults to one second after the start, as Elasticsearch does.</param>
    public void BeginUpload(InputFormat format, long? resetStartMs = null, long? resetEndMs = null)
    {
        if (resetStartMs is { } resetStart)
        {
            _pipeline.ResetBuckets(resetStart, resetEndMs ?? resetStart + 1000);
            StateVersion++;
        }

        Counts.BeginUpload();
        if (format == InputFormat.Csv)
        {
            // A CSV body starts with its own header row, so each upload gets a fresh reader.
            _csv?.Dispose();
            _csv = new CsvRecordReader(_spec.Schema, _timeFormat, Counts, this);
        }
        else
        {
            _ndjson ??= new NdjsonRecordReader(_spec.Schema, _timeFormat, Counts, this);
            _ndjson.Reset();
        }

        _uploadFormat = format;
    }

    /// <summary>Reads the next chunk of the body. Records may span chunks.</summary>
    public void Feed(ReadOnlySpan<byte> chunk)
    {
        Debug.Assert(_uploadFormat is not null, "Feed outside an upload");
        if (_uploadFormat == InputFormat.Csv)
        {
            _csv!.Feed(chunk);
        }
        else
        {
            _ndjson!.Feed(chunk);
        }
    }

    /// <summary>Ends the upload. A body ending inside a record throws; the records before it stay counted.</summary>
    /// <returns>The counts of this upload.</returns>
    public DataCountsSnapshot EndUpload()
    {
        try
        {
            if (_uploadFormat == InputFormat.Csv)
            {
                _csv!.Complete();
            }
            else
            {
                _ndjson!.Complete();
            }
        }
        finally
        {
            _uploadFormat = null;
        }

        return Counts.FinishUpload();
    }

    /// <summary>
    /// Ends an upload that failed part-way. What was read stays counted and analysed; as in Elasticsearch,
    /// the upload is not "finished" (no last_data_time, no diagnostics flush).
    /// </summary>
    public DataCountsSnapshot AbortUpload()
    {
        _ndjson?.Reset();
        _csv?.Reset();
        _uploadFormat = null;
        return Counts.CurrentUpload.Snapshot();
    }

    /// <inheritdoc />
    public void OnRecord(long timeMs, scoped in RecordFields fields)
    {
        if (_lastFinalizedBucketEndMs is not { } finalizedEnd)
        {
            finalizedEnd = BucketStart(timeMs);
            _lastFinalizedBucketEndMs = finalizedEnd;
            StateVersion++;
        }

        if (timeMs < finalizedEnd)
        {
            return; // too old for the analysis: its bucket is finalized
        }

        if (timeMs > _latestAnalysedTimeMs)
        {
            _latestAnalysedTimeMs = timeMs;
            FinalizeUntil(timeMs - _latencyMs);
        }

        _pipeline.OnRecord(timeMs, fields);
    }

    /// <summary>Flushes: interim results, advance_time or skip_time, as asked.</summary>
    public FlushResult Flush(FlushRequest request)
    {
        if (request.SkipTimeMs is { } skip)
        {
            var target = BucketStart(skip + _bucketSpanMs - 1);
            if (_lastFinalizedBucketEndMs is null || target > _lastFinalizedBucketEndMs)
            {
                _lastFinalizedBucketEndMs = target;
                _pipeline.SkipTo(target);
                StateVersion++;
            }
        }

        if (request.AdvanceTimeMs is { } advance)
        {
            _lastFinalizedBucketEndMs ??= BucketStart(advance);
            FinalizeUntil(advance);
        }

        if (request.CalcInterim && _lastFinalizedBucketEndMs is { } from)
        {
            var start = request.StartMs is { } s ? BucketStart(s) : from;
            var end = request.EndMs ?? Math.Max(_latestAnalysedTimeMs + 1, start + _bucketSpanMs);
            for (var t = Math.Max(start, from); t < end; t += _bucketSpanMs)
            {
                _pipeline.EmitInterim(t, this);
            }
        }

        return new FlushResult(_lastFinalizedBucketEndMs);
    }

    /// <summary>Categorization statistics (<c>model_size_stats</c>), or null when the job does not categorize.</summary>
    public Categorization.CategorizerStats? CategorizerStats => _pipeline.CategorizerStats;

    /// <summary>
    /// Takes the category definitions that changed since the last call. When categories were created, the state counts
    /// as changed (<see cref="StateVersion"/>) so that the categorizer is saved with the definitions it gave out.
    /// </summary>
    public List<Categorization.CategoryDocument> DrainChangedCategories()
    {
        var documents = new List<Categorization.CategoryDocument>();
        _pipeline.DrainChangedCategories(documents);
        var total = _pipeline.CategoryCount;
        if (total != _savedCategoryCount)
        {
            _savedCategoryCount = total;
            StateVersion++;
        }

        return documents;
    }

    /// <summary>Takes the results (bucket, record, influencer and model plot documents) produced since the last call.</summary>
    public IReadOnlyList<object> DrainResults()
    {
        var result = _pendingResults.ToArray();
        _pendingResults.Clear();
        return result;
    }

    /// <inheritdoc />
    void IResultSink.OnBucket(BucketDocument bucket) => _pendingResults.Add(bucket);

    /// <inheritdoc />
    void IResultSink.OnRecord(RecordDocument record) => _pendingResults.Add(record);

    /// <inheritdoc />
    void IResultSink.OnInfluencer(InfluencerDocument influencer) => _pendingResults.Add(influencer);

    /// <inheritdoc />
    void IResultSink.OnModelPlot(ModelPlotDocument plot) => _pendingResults.Add(plot);

    /// <summary>Serializes the processor state (bucket clock, open buckets, timing).</summary>
    public byte[] SaveState()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var header = buffer.GetSpan(12);
        BinaryPrimitives.WriteUInt32LittleEndian(header, StateMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], StateFormatVersion);
        buffer.Advance(12);
        var jsonStart = buffer.WrittenCount;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (_lastFinalizedBucketEndMs is { } end)
            {
                w.WriteNumber("last_finalized_bucket_end", end);
            }

            w.WriteNumber("latest_analysed_time", _latestAnalysedTimeMs);
            w.WriteNumber("peak_model_bytes", PeakModelBytes);
            w.WritePropertyName("timing");
            Timing.Save(w);
            w.WriteEndObject();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), bytes.Length - jsonStart);
        var models = new ArrayBufferWriter<byte>();
        _pipeline.Save(models);
        return [.. bytes, .. models.WrittenSpan];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ndjson?.Dispose();
        _csv?.Dispose();
    }

    private AnomalyDetectorPipeline LoadState(ReadOnlySpan<byte> state)
    {
        if (state.Length < 12 || BinaryPrimitives.ReadUInt32LittleEndian(state) != StateMagic)
        {
            throw new InvalidDataException("Not a Vigil job state.");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(state[4..]);
        if (version != StateFormatVersion)
        {
            throw new InvalidDataException($"Unsupported job state version {version}.");
        }

        var jsonLength = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        var reader = new Utf8JsonReader(state.Slice(12, jsonLength));
        using (var document = JsonDocument.ParseValue(ref reader))
        {
            var root = document.RootElement;
            if (root.TryGetProperty("last_finalized_bucket_end", out var end))
            {
                _lastFinalizedBucketEndMs = end.GetInt64();
            }

            _latestAnalysedTimeMs = root.GetProperty("latest_analysed_time").GetInt64();
            _peakModelBytes = root.GetProperty("peak_model_bytes").GetInt64();
            Timing = TimingStats.Load(root.GetProperty("timing"));
        }

        return AnomalyDetectorPipeline.Load(_spec.Analysis, state[(12 + jsonLength)..]);
    }

    private void FinalizeUntil(long timeMs)
    {
        if (_lastFinalizedBucketEndMs is not { } end)
        {
            return;
        }

        while (end + _bucketSpanMs <= timeMs)
        {
            var started = Stopwatch.GetTimestamp();
            var first = _pendingResults.Count;
            _pipeline.CloseBucket(end, this);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Timing.Add(end, elapsed);
            for (var i = first; i < _pendingResults.Count; i++)
            {
                if (_pendingResults[i] is BucketDocument bucket)
                {
                    bucket.ProcessingTimeMs = (long)elapsed;
                }
            }

            end += _bucketSpanMs;
        }

        if (_lastFinalizedBucketEndMs != end)
        {
            _lastFinalizedBucketEndMs = end;
            StateVersion++;
        }

        _peakModelBytes = PeakModelBytes;
    }

    private long BucketStart(long timeMs) => timeMs - (((timeMs % _bucketSpanMs) + _bucketSpanMs) % _bucketSpanMs);
}
