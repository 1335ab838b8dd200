using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Vigil.Cluster.Hosting;
using Vigil.Cluster.Nodes;
using Vigil.Engine.Configuration;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Errors;
using Vigil.Engine.Jobs;
using Vigil.Storage;

namespace Vigil.Cluster.Jobs;

/// <summary>The grain that owns one job (see <see cref="IJobGrain"/>).</summary>
/// <remarks>
/// <para>The grain is reentrant so that a second upload can wait for the first without blocking the first
/// one's chunks. Ordering is kept by <see cref="_gate"/>: an upload holds it from begin to end, and flush
/// and close take it too, so they happen between uploads, in arrival order. A chunk is processed without
/// any await, so it never interleaves with another turn.</para>
/// <para>Persistence: after every upload and flush, the data counts and the engine state are written in one
/// transaction before the caller is answered; the task document records the state across restarts.</para>
/// <para>Renormalization (<see cref="ResultRenormalizer"/>) is decided after the results of newly finalized buckets
/// are written, and runs on the thread pool with a copy of the normalizers, one pass at a time, so uploads go on
/// meanwhile; a flush or close waits for it, so the stored scores are consistent once <c>_flush</c> returns — as
/// Elasticsearch's flush waits until its renormalizer is idle. It runs when a normalizer had a big change (a scope maximum grew by more than 10%, the
/// rule on which ml-cpp writes its quantiles), at least every 6 hours of wall-clock time otherwise (ml-cpp's
/// maximum quantile interval), and on the first finalized buckets after the job opens (the big-change flags are
/// not persisted). Passes are throttled to about a tenth of the wall-clock time: after a pass that took d, a big
/// change waits until 9·d has passed (and is then handled at the next persist; a flush or close runs it at once),
/// as Elasticsearch's renormalizer coalesces the quantiles that arrive while a pass runs.</para>
/// </remarks>
[Reentrant]
internal sealed class JobGrain(
    IJobStore jobs,
    IFilterStore filters,
    ICalendarStore calendars,
    IJobDocumentStore documents,
    IResultStore results,
    LocalJobRegistry registry,
    VigilNodeOptions node,
    TimeProvider time,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    /// <summary>Share of bad records in one upload above which the job fails for bad input (ES 5.x rule).</summary>
    private const double BadInputFraction = 0.25;

    /// <summary>Records an upload must have before the bad-input rule applies.</summary>
    private const long BadInputMinimumRecords = 100;


    private readonly SemaphoreSlim _gate = new(1, 1);
    private JobState _state = JobState.Closed;
    private JobProcessor? _processor;
    private JobConfig? _config;
    private string? _failure;
    private bool _failedOnInput;
    private long? _openTimeMs;
    private Guid _upload;
    private long _persistedStateVersion = -1;
    private bool _uploadHoldsGate;
    private DateTimeOffset _lastRenormalization = DateTimeOffset.MinValue;
    private TimeSpan _lastRenormalizationCost = TimeSpan.Zero;
    private bool _pendingBigChange;
    private Task<TimeSpan>? _renormalization;
    private long? _renormalizedEndMs;
    private long? _persistedFinalizedEndMs;

    private string JobId => this.GetPrimaryKeyString();

    public async Task<GrainError?> OpenAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            if (_state != JobState.Closed)
            {
                return Error(ElasticsearchException.Conflict($"Cannot open job [{JobId}] because it has already been opened"));
            }

            var raw = await jobs.GetAsync(JobId).ConfigureAwait(true);
            if (raw is null)
            {
                return Error(ElasticsearchException.ResourceNotFound($"No known job with id '{JobId}'"));
            }

            _config = JobConfigParser.ParseStored(raw);
            if (Capacity(_config) is { } shortage)
            {
                if (!_config.AllowLazyOpen)
                {
                    return Error(new ElasticsearchException("status_exception",
                        "Could not open job because no ML nodes with sufficient capacity were found", 429,
                        new ElasticsearchException("illegal_state_exception",
                            $"Could not open job because no suitable nodes were found, allocation explanation [{shortage}]", 500)));
                }

                // allow_lazy_open: the task exists but waits, unassigned, in `opening` until a job closes and frees
                // enough memory (RetryAssignmentAsync), as Elasticsearch keeps it until a node has room.
                _state = JobState.Opening;
                _failure = shortage;
                await WriteTaskAsync().ConfigureAwait(true);
                DelayDeactivation(TimeSpan.FromDays(3650));
                return null;
            }

            return await StartAsync().ConfigureAwait(true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts the job's engine on this node (the task is assigned): restores counts and state.</summary>
    private async Task<GrainError?> StartAsync()
    {
        var config = _config!;
        _state = JobState.Opening;
        await WriteTaskAsync().ConfigureAwait(true);
        try
        {
            var counts = await documents.GetAsync(JobId, JobDocumentKinds.DataCounts).ConfigureAwait(true);
            var state = await documents.GetAsync(JobId, JobDocumentKinds.ModelState).ConfigureAwait(true);
            _processor = new JobProcessor(
                JobProcessorSpecs.From(config, await ResolveFiltersAsync(config).ConfigureAwait(true)),
                counts is null ? null : DataCountsDocument.Parse(counts),
                state ?? [],
                time);
            _persistedFinalizedEndMs = _processor.LastFinalizedBucketEndMs;
            _processor.SetScheduledEvents(
                await JobCalendars.LoadAsync(calendars, config, _processor.LastFinalizedBucketEndMs).ConfigureAwait(true));
        }
        catch (ElasticsearchException e) when (e.Status == 404)
        {
            // A filter the rules name is gone (deleting a filter in use is refused, so only a store edited by hand).
            _state = JobState.Closed;
            await documents.DeleteAsync(JobId, JobDocumentKinds.Task).ConfigureAwait(true);
            return Error(e);
        }
        catch (NotSupportedException e)
        {
            // The configuration is valid but asks for analysis this engine does not do yet: refuse to open.
            _state = JobState.Closed;
            await documents.DeleteAsync(JobId, JobDocumentKinds.Task).ConfigureAwait(true);
            return Error(ElasticsearchException.StatusError($"Cannot open job [{JobId}]: {e.Message}"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId} failed to open", JobId);
            await FailAsync($"failed to restore the job's state: {e.Message}", onInput: false).ConfigureAwait(true);
            return null;
        }

        _openTimeMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        _state = JobState.Opened;
        _failure = null;
        _failedOnInput = false;
        await WriteTaskAsync().ConfigureAwait(true);
        await SaveConfigAsync(config.WithFinishedTime(null)).ConfigureAwait(true);
        registry.Set(JobId, config.ModelMemoryLimitMb * 1024 * 1024);
        DelayDeactivation(TimeSpan.FromDays(3650));
        return null;
    }

    /// <summary>The items of the filters the job's custom rule scopes name (ES resolves them when the process starts).</summary>
    /// <exception cref="ElasticsearchException">404 <c>No filter with id [x] exists</c> for a missing filter.</exception>
    private async Task<Dictionary<string, IReadOnlyCollection<string>>?> ResolveFiltersAsync(JobConfig config)
    {
        var ids = config.ReferencedFilterIds();
        if (ids.Count == 0)
        {
            return null;
        }

        var resolved = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var raw = await filters.GetFilterAsync(id).ConfigureAwait(true)
                ?? throw ElasticsearchException.ResourceNotFound($"No filter with id [{id}] exists");
            resolved[id] = [.. MlFilter.ParseStored(raw).Items];
        }

        return resolved;
    }

    public async Task UpdateFilterAsync(string filterId, Immutable<string[]> items)
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            _processor?.UpdateFilter(filterId, items.Value);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<GrainError?> UpdateCalendarsAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            if (_processor is null || _config is null)
            {
                return null;
            }

            try
            {
                _processor.SetScheduledEvents(
                    await JobCalendars.LoadAsync(calendars, _config, _processor.LastFinalizedBucketEndMs).ConfigureAwait(true));
            }
            catch (NotSupportedException e)
            {
                return Error(ElasticsearchException.StatusError($"Cannot update job [{JobId}] while it is open: {e.Message}"));
            }

            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<GrainError?> UpdateConfigAsync(Immutable<byte[]> config)
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            var updated = JobConfigParser.ParseStored(config.Value);
            if (_processor is null)
            {
                if (_config is not null)
                {
                    _config = updated.WithFinishedTime(_config.FinishedTime);
                }

                return null;
            }

            try
            {
                _processor.UpdateRules(JobProcessorSpecs.From(updated, await ResolveFiltersAsync(updated).ConfigureAwait(true)));

                // ES: a change of groups updates the process's scheduled events (the calendars may name the groups).
                _processor.SetScheduledEvents(
                    await JobCalendars.LoadAsync(calendars, updated, _processor.LastFinalizedBucketEndMs).ConfigureAwait(true));
            }
            catch (NotSupportedException e)
            {
                return Error(ElasticsearchException.StatusError($"Cannot update job [{JobId}] while it is open: {e.Message}"));
            }
            catch (ElasticsearchException e)
            {
                return Error(e);
            }

            _config = updated.WithFinishedTime(_config?.FinishedTime);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// For a job opened lazily and waiting in <c>opening</c>: assigns and starts it if the node now has room.
    /// </summary>
    public async Task RetryAssignmentAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            if (_state != JobState.Opening || _processor is not null || _config is null || Capacity(_config) is not null)
            {
                return;
            }

            if (await StartAsync().ConfigureAwait(true) is { } error)
            {
                logger.LogWarning("Job {JobId} could not start after waiting for room: {Reason}", JobId, error.Reason);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Why the job does not fit on this node (null when it does): its model memory limit plus the per-job overhead,
    /// and the native code overhead for the first job, against the node's ML memory not yet taken by open jobs.
    /// </summary>
    private string? Capacity(JobConfig config)
    {
        var facts = NodeFacts.Read(node);
        var usage = registry.Usage();
        var required = (config.ModelMemoryLimitMb * 1024 * 1024) + LocalJobRegistry.JobOverheadBytes
            + (usage.NativeCodeOverheadBytes == 0 ? LocalJobRegistry.NativeCodeOverheadBytes : 0);
        var free = facts.MlMaxBytes - usage.AnomalyDetectorsBytes - usage.NativeCodeOverheadBytes;
        return required <= free
            ? null
            : $"Not opening job [{JobId}] on node [{facts.Name}], because this node has insufficient available memory. "
                + $"Available memory for ML [{facts.MlMaxBytes}], free memory [{free}], estimated memory required for this job [{required}].";
    }

    public async Task RecoverAsync()
    {
        if (_state != JobState.Closed)
        {
            return;
        }

        var task = await documents.GetAsync(JobId, JobDocumentKinds.Task).ConfigureAwait(true);
        if (task is null)
        {
            return;
        }

        using var document = JsonDocument.Parse(task);
        var root = document.RootElement;
        var failed = root.TryGetProperty("state", out var state) && state.GetString() == "failed";
        var onInput = root.TryGetProperty("failed_on_input", out var input) && input.GetBoolean();
        if (failed && !onInput)
        {
            _config = await LoadConfigAsync().ConfigureAwait(true);
            _state = JobState.Failed;
            _failure = root.TryGetProperty("reason", out var reason) ? reason.GetString() : "failed before the node restarted";
            registry.Set(JobId, (_config?.ModelMemoryLimitMb ?? 0) * 1024 * 1024);
            DelayDeactivation(TimeSpan.FromDays(3650));
            return;
        }

        if (await OpenAsync().ConfigureAwait(true) is { } error)
        {
            logger.LogError("Job {JobId} could not be reopened after a restart: {Reason}", JobId, error.Reason);
            return;
        }

        if (failed)
        {
            await FailAsync(root.GetProperty("reason").GetString() ?? "bad input", onInput: true).ConfigureAwait(true);
        }
    }

    private async Task<JobConfig?> LoadConfigAsync()
    {
        var raw = await jobs.GetAsync(JobId).ConfigureAwait(true);
        return raw is null ? null : JobConfigParser.ParseStored(raw);
    }

    public async Task<GrainError?> CloseAsync(bool force)
    {
        if (_state == JobState.Closed)
        {
            return null;
        }

        if (_state == JobState.Failed && !force)
        {
            return Error(ElasticsearchException.Conflict($"cannot close job [{JobId}] because it failed, use force close"));
        }

        var holdsGate = false;
        if (!force)
        {
            await _gate.WaitAsync().ConfigureAwait(true);
            holdsGate = true;
        }

        try
        {
            if (_state == JobState.Closed)
            {
                return null;
            }

            var persist = _state == JobState.Opened && _processor is not null;
            _state = JobState.Closing;
            if (persist)
            {
                await PersistAsync(force: true, settle: true).ConfigureAwait(true);
            }

            await documents.DeleteAsync(JobId, JobDocumentKinds.Task).ConfigureAwait(true);
            if (_config is not null)
            {
                await SaveConfigAsync(_config.WithFinishedTime(time.GetUtcNow())).ConfigureAwait(true);
            }

            Stop();
            return null;
        }
        finally
        {
            if (holdsGate)
            {
                _gate.Release();
            }
        }
    }

    public async Task<(GrainError? Error, Guid Upload)> BeginUploadAsync(bool csv, long? resetStartMs, long? resetEndMs)
    {
        if (NotAcceptingData() is { } early)
        {
            return (early, Guid.Empty);
        }

        await _gate.WaitAsync().ConfigureAwait(true);
        if (NotAcceptingData() is { } error)
        {
            _gate.Release();
            return (error, Guid.Empty);
        }

        try
        {
            _processor!.BeginUpload(csv ? InputFormat.Csv : InputFormat.Json, resetStartMs, resetEndMs);
        }
        catch (ElasticsearchException e)
        {
            _gate.Release();
            return (Error(e), Guid.Empty);
        }

        _upload = Guid.NewGuid();
        _uploadHoldsGate = true;
        return (null, _upload);
    }

    public async Task<GrainError?> FeedAsync(Guid upload, Immutable<byte[]> chunk, int length)
    {
        if (upload != _upload || _processor is null || !_uploadHoldsGate)
        {
            return Error(NotOpen());
        }

        try
        {
            _processor.Feed(chunk.Value.AsSpan(0, length));
            return null;
        }
        catch (ElasticsearchException e)
        {
            return Error(e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The engine itself failed: the job goes to failed with the reason, as Elasticsearch does when its
            // analytics process dies; it can be force-closed and reopened.
            logger.LogError(e, "Job {JobId} failed while processing data", JobId);
            await FailAsync($"the job's analysis failed: {e.Message}", onInput: false).ConfigureAwait(true);
            return Error(new ElasticsearchException("exception", e.Message, 500));
        }
    }

    public async Task<UploadReply> EndUploadAsync(Guid upload, bool aborted)
    {
        if (upload != _upload || !_uploadHoldsGate)
        {
            return new UploadReply(Error(NotOpen()), null);
        }

        _upload = Guid.Empty;
        _uploadHoldsGate = false;
        try
        {
            if (_processor is null)
            {
                return new UploadReply(Error(NotOpen()), null);
            }

            GrainError? error = null;
            DataCountsSnapshot counts;
            try
            {
                counts = aborted ? _processor.AbortUpload() : _processor.EndUpload();
            }
            catch (ElasticsearchException e)
            {
                error = Error(e);
                counts = _processor.AbortUpload();
            }

            await PersistAsync().ConfigureAwait(true);
            if (error is null && BadInput(counts) is { } reason)
            {
                await FailAsync(reason, onInput: true).ConfigureAwait(true);
                error = Error(ElasticsearchException.StatusError(reason));
            }
            else if (error is null && _state == JobState.Failed && _failedOnInput)
            {
                // Corrected data brings a job that failed on bad input back (seed document, job stats).
                _state = JobState.Opened;
                _failure = null;
                _failedOnInput = false;
                await WriteTaskAsync().ConfigureAwait(true);
            }

            return new UploadReply(error, error is null ? Serialize(w => counts.WriteTo(w, JobId, human: false)) : null);
        }
        catch (Exception e) when (e is not ElasticsearchException)
        {
            logger.LogError(e, "Job {JobId} failed while ending an upload", JobId);
            await FailAsync(e.Message, onInput: false).ConfigureAwait(true);
            return new UploadReply(Error(new ElasticsearchException("exception", e.Message, 500)), null);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<FlushReply> FlushAsync(FlushParameters parameters)
    {
        await _gate.WaitAsync().ConfigureAwait(true);
        try
        {
            if (_state != JobState.Opened || _processor is null)
            {
                return new FlushReply(Error(NotOpen()), null);
            }

            var result = _processor.Flush(new FlushRequest(parameters.CalcInterim, parameters.StartMs, parameters.EndMs,
                parameters.AdvanceTimeMs, parameters.SkipTimeMs));
            await PersistAsync(settle: true).ConfigureAwait(true);
            return new FlushReply(null, result.LastFinalizedBucketEndMs);
        }
        catch (Exception e) when (e is not ElasticsearchException)
        {
            logger.LogError(e, "Job {JobId} failed while flushing", JobId);
            await FailAsync(e.Message, onInput: false).ConfigureAwait(true);
            return new FlushReply(Error(new ElasticsearchException("exception", e.Message, 500)), null);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<JobRuntimeStatus> GetStatusAsync()
    {
        if (_state == JobState.Closed || _processor is null)
        {
            return Task.FromResult(new JobRuntimeStatus
            {
                State = _state,
                NodeId = _state is JobState.Closed or JobState.Opening ? null : node.NodeId,
                AssignmentExplanation = _state == JobState.Closed ? null : _failure ?? "",
            });
        }

        var processor = _processor;
        return Task.FromResult(new JobRuntimeStatus
        {
            State = _state,
            NodeId = node.NodeId,
            OpenTimeMs = _state == JobState.Opened ? _openTimeMs : null,
            AssignmentExplanation = _failure ?? "",
            DataCounts = Serialize(w => processor.Counts.Totals.WriteTo(w, JobId, human: false)),
            TimingStats = Serialize(w => processor.Timing.WriteTo(w, JobId)),
            ModelSizeStats = Serialize(w => SizeStats(processor).WriteTo(w, JobId)),
        });
    }

    private GrainError? NotAcceptingData()
    {
        if (_processor is null)
        {
            return Error(NotOpen());
        }

        return _state switch
        {
            JobState.Opened => null,
            JobState.Failed when _failedOnInput => null,
            _ => Error(NotOpen()),
        };
    }

    private ElasticsearchException NotOpen() =>
        ElasticsearchException.Conflict($"Cannot perform requested action because job [{JobId}] is not open");

    /// <summary>The ES 5.x bad-input rule: too many unparseable or out-of-order timestamps in one upload.</summary>
    private static string? BadInput(DataCountsSnapshot upload)
    {
        var total = upload.InputRecordCount;
        if (total < BadInputMinimumRecords)
        {
            return null;
        }

        if (upload.InvalidDateCount > total * BadInputFraction)
        {
            return $"A high proportion of records have a timestamp that cannot be interpreted ({upload.InvalidDateCount} of {total})";
        }

        if (upload.OutOfOrderTimestampCount > total * BadInputFraction)
        {
            return $"A high proportion of records are not in ascending chronological order ({upload.OutOfOrderTimestampCount} of {total}) and/or not within the latency";
        }

        return null;
    }

    private async Task FailAsync(string reason, bool onInput)
    {
        _state = JobState.Failed;
        _failure = reason;
        _failedOnInput = onInput;
        try
        {
            await WriteTaskAsync().ConfigureAwait(true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: could not record its failure", JobId);
        }

        if (!onInput)
        {
            _processor?.Dispose();
            _processor = null;
        }
    }

    private void Stop()
    {
        _processor?.Dispose();
        _processor = null;
        _state = JobState.Closed;
        _failure = null;
        _failedOnInput = false;
        _openTimeMs = null;
        _persistedStateVersion = -1;
        _lastRenormalization = DateTimeOffset.MinValue;
        _lastRenormalizationCost = TimeSpan.Zero;
        _pendingBigChange = false;
        _renormalization = null;
        _renormalizedEndMs = null;
        _persistedFinalizedEndMs = null;
        registry.Remove(JobId);
        DeactivateOnIdle();
    }

    /// <summary>
    /// Writes what an acknowledged request changed: results, data counts, statistics, and the model state when it
    /// changed (buckets finalized, skipped or reset) — saving the models on every upload into an open bucket would
    /// cost a full model write per request for nothing.
    /// </summary>
    /// <param name="force">Write the model state even if it did not change (close).</param>
    /// <param name="settle">Flush or close: a renormalization held back by the throttle runs now, so stored scores are
    /// consistent when the request returns.</param>
    private async Task PersistAsync(bool force = false, bool settle = false)
    {
        var processor = _processor!;
        var rows = ResultRows.From(JobId, processor.DrainResults(), out var hasFinal);
        await results.WriteAsync(JobId, rows, replaceInterim: hasFinal || rows.Count > 0).ConfigureAwait(true);
        // Category definitions that changed (as ml-cpp writes them); a new category also marks the state changed, so the
        // categorizer is saved below with the ids it gave out.
        var categories = processor.DrainChangedCategories();
        if (categories.Count > 0)
        {
            await results.UpsertCategoriesAsync(JobId, ResultRows.FromCategories(categories)).ConfigureAwait(true);
        }

        // A flush or close also waits for a pass an earlier upload started (it may have no new final results itself).
        if (hasFinal || (settle && (_pendingBigChange || _renormalization is not null)))
        {
            await RenormalizeAsync(processor, settle).ConfigureAwait(true);
        }

        _persistedFinalizedEndMs = processor.LastFinalizedBucketEndMs;
        var counts = Serialize(w => processor.Counts.Totals.WriteTo(w, JobId, human: false));
        var timing = Serialize(w => processor.Timing.WriteTo(w, JobId));
        var size = Serialize(w => SizeStats(processor).WriteTo(w, JobId));
        var documentsToWrite = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>
        {
            new(JobDocumentKinds.DataCounts, counts),
            new(JobDocumentKinds.TimingStats, timing),
            new(JobDocumentKinds.ModelSizeStats, size),
        };
        var version = processor.StateVersion;
        if (force || version != _persistedStateVersion)
        {
            documentsToWrite.Add(new(JobDocumentKinds.ModelState, processor.SaveState()));
        }

        await documents.PutManyAsync(JobId, documentsToWrite).ConfigureAwait(true);
        _persistedStateVersion = version;
    }

    /// <summary>
    /// Renormalizes the stored final results when the normalizers changed a lot (or the interval elapsed), over the
    /// window ending at the last finalized bucket, extended back to cover the buckets finalized since the previous
    /// persist (Elasticsearch extends the window the same way when it skips intermediate quantiles). A failure is
    /// logged and leaves the stored scores as they were, as Elasticsearch's renormalizer does.
    /// </summary>
    private async Task RenormalizeAsync(JobProcessor processor, bool settle)
    {
        if (_config is null || processor.LastFinalizedBucketEndMs is not { } end)
        {
            return;
        }

        var normalizers = processor.Normalizers;
        _pendingBigChange |= normalizers.TakeBigChange();
        if (_renormalization is { } running)
        {
            if (!running.IsCompleted && !settle)
            {
                // One pass at a time; what changed meanwhile is handled by the next one (Elasticsearch's
                // renormalizer coalesces the quantiles that arrive while it runs).
                return;
            }

            _lastRenormalizationCost = await running.ConfigureAwait(true);
            _renormalization = null;
        }

        var now = time.GetUtcNow();
        if (!ResultRenormalizer.ShouldRun(_pendingBigChange, now - _lastRenormalization, _lastRenormalizationCost, settle))
        {
            return;
        }

        _pendingBigChange = false;
        _lastRenormalization = now;
        var window = ResultRenormalizer.WindowMs(_config);
        if (window <= 0)
        {
            return;
        }

        // Extended back to the end of the previous pass (passes held back by the throttle are covered too).
        var from = Math.Min(end, Math.Min(_renormalizedEndMs ?? end, _persistedFinalizedEndMs ?? end));
        _renormalizedEndMs = end;
        var start = Math.Max(0, from - window);

        // The pass works on a copy of the normalizers, on the thread pool, so uploads go on meanwhile; a flush or
        // close waits for it.
        var snapshot = normalizers.Snapshot();
        var pass = Task.Run(() => ResultRenormalizer.TimedPassAsync(results, JobId, snapshot, start, end, time, logger));
        _renormalization = pass;
        if (settle)
        {
            _lastRenormalizationCost = await pass.ConfigureAwait(true);
            _renormalization = null;
        }
    }

    /// <summary>
    /// The job's model size statistics. Until the job has analysed a record they are Elasticsearch's defaults
    /// (model_bytes 0): the analytics process reports its first statistics only once it has data.
    /// </summary>
    private ModelSizeStats SizeStats(JobProcessor processor)
    {
        var limit = (_config?.ModelMemoryLimitMb ?? 0) * 1024 * 1024;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (processor.Counts.Totals.ProcessedRecordCount == 0)
        {
            return new ModelSizeStats(0, 0, limit, 0, 0, 0, now, null);
        }

        var (by, over, partition) = processor.FieldCounts;
        return new ModelSizeStats(processor.ModelBytes, processor.PeakModelBytes, limit, by, over, partition, now,
            processor.Counts.Totals.LatestRecordTimestamp, processor.CategorizerStats);
    }

    private Task WriteTaskAsync()
    {
        var task = Serialize(w =>
        {
            w.WriteStartObject();
            w.WriteString("state", _state.ToString().ToLowerInvariant());
            w.WriteString("node", node.NodeId);
            if (_failure is not null)
            {
                w.WriteString("reason", _failure);
                w.WriteBoolean("failed_on_input", _failedOnInput);
            }

            w.WriteEndObject();
        });
        return documents.PutAsync(JobId, JobDocumentKinds.Task, task);
    }

    private async Task SaveConfigAsync(JobConfig config)
    {
        _config = config;
        await jobs.UpdateAsync(JobId, Serialize(w => JobConfigWriter.Write(w, config))).ConfigureAwait(true);
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static GrainError Error(ElasticsearchException e) =>
        new(e.Type, e.Reason, e.Status, e.Cause is null ? null : Error(e.Cause));
}
