using System.Buffers;
using System.Text.Json;
using Vigil.Cluster;
using Vigil.Cluster.Jobs;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Server.Http;
using Vigil.Storage;

namespace Vigil.Server.Api;

/// <summary>
/// Anomaly-detection job configuration: create, get, update, delete, validate, estimate model memory,
/// and <c>_ml/info</c>.
/// </summary>
public sealed class JobsApi(IJobStore store, IFilterStore filters, ICalendarStore calendars, IClusterFacade cluster, TimeProvider time)
{
    private static readonly string[] PutParameters = ["allow_no_indices", "expand_wildcards", "ignore_throttled", "ignore_unavailable"];
    private static readonly string[] GetParameters = ["allow_no_match", "allow_no_jobs", "exclude_generated"];
    private static readonly string[] DeleteParameters = ["force", "wait_for_completion", "delete_user_annotations", "timeout"];

    private readonly SemaphoreSlim _configLock = new(1, 1);

    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        router.Add("PUT", "/_ml/anomaly_detectors/{job_id}", PutAsync, PutParameters);
        router.Add("GET", "/_ml/anomaly_detectors", r => GetAsync(r, null), GetParameters);
        router.Add("GET", "/_ml/anomaly_detectors/{job_id}", r => GetAsync(r, r.Route("job_id")), GetParameters);
        router.Add("POST", "/_ml/anomaly_detectors/{job_id}/_update", UpdateAsync);
        router.Add("DELETE", "/_ml/anomaly_detectors/{job_id}", DeleteAsync, DeleteParameters);
        router.Add("POST", "/_ml/anomaly_detectors/_validate", ValidateAsync);
        router.Add("POST", "/_ml/anomaly_detectors/_validate/detector", ValidateDetectorAsync);
        router.Add("POST", "/_ml/anomaly_detectors/_estimate_model_memory", EstimateAsync, legacyXpack: false);
        router.Add("GET", "/_ml/info", InfoAsync);
    }

    /// <summary>All jobs, parsed, ordered by id.</summary>
    public async Task<List<JobConfig>> AllJobsAsync()
    {
        var stored = await store.ListAsync().ConfigureAwait(false);
        var jobs = new List<JobConfig>(stored.Count);
        foreach (var document in stored)
        {
            jobs.Add(JobConfigParser.ParseStored(document.Content));
        }

        return jobs;
    }

    /// <summary>One job, or 404 <c>No known job with id 'x'</c>.</summary>
    public async Task<JobConfig> GetJobAsync(string jobId)
    {
        var raw = await store.GetAsync(jobId).ConfigureAwait(false);
        return raw is null ? throw UnknownJob(jobId) : JobConfigParser.ParseStored(raw);
    }

    /// <summary>Resolves an id expression with the <c>allow_no_match</c> / deprecated <c>allow_no_jobs</c> parameters.</summary>
    public async Task<(IReadOnlyList<JobConfig> Jobs, string? Warning)> ResolveAsync(string? expression, bool? allowNoMatch, bool? allowNoJobs)
    {
        string? warning = null;
        if (allowNoMatch is null && allowNoJobs is not null)
        {
            warning = "Deprecated field [allow_no_jobs] used, expected [allow_no_match] instead";
        }

        var allow = allowNoMatch ?? allowNoJobs ?? true;
        var jobs = JobIdExpression.Resolve(expression, await AllJobsAsync().ConfigureAwait(false), allow);
        return (jobs, warning);
    }

    /// <summary>
    /// ES <c>JobManager</c>: every filter a custom rule scope names must exist (404 <c>No filter with id [x] exists</c>).
    /// </summary>
    private async Task CheckFiltersExistAsync(JobConfig job)
    {
        foreach (var filterId in job.ReferencedFilterIds())
        {
            if (await filters.GetFilterAsync(filterId).ConfigureAwait(false) is null)
            {
                throw FiltersApi.NoSuchFilter(filterId);
            }
        }
    }

    /// <summary>404 for an unknown job.</summary>
    public static ElasticsearchException UnknownJob(string jobId) =>
        ElasticsearchException.ResourceNotFound($"No known job with id '{jobId}'");

    /// <summary>Writes a job as the APIs return it.</summary>
    public static void WriteJob(Utf8JsonWriter w, JobConfig job, bool excludeGenerated = false, bool human = false) =>
        JobConfigWriter.Write(w, job, excludeGenerated, human);

    private async Task<EsResponse> PutAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        JobIdRules.ValidateJobId(jobId);
        var body = await RequireBodyAsync(request).ConfigureAwait(false);
        var job = JobConfigParser.ParseForCreate(body, jobId, time.GetUtcNow(), ServerInfo.JobVersion);
        await _configLock.WaitAsync().ConfigureAwait(false);
        try
        {
            JobIdRules.CheckCreateConflicts(job, await AllJobsAsync().ConfigureAwait(false));
            await CheckFiltersExistAsync(job).ConfigureAwait(false);
            if (!await store.TryCreateAsync(jobId, Serialize(w => WriteJob(w, job))).ConfigureAwait(false))
            {
                throw ElasticsearchException.ResourceAlreadyExists($"The job cannot be created with the Id '{jobId}'. The Id is already used.");
            }
        }
        finally
        {
            _configLock.Release();
        }

        var response = EsResponse.Json(w => WriteJob(w, job, human: request.Human));
        foreach (var warning in JobConfigParser.DeprecationWarnings(job))
        {
            response.WithDeprecationWarning(warning);
        }

        return response;
    }

    private async Task<EsResponse> GetAsync(EsRequest request, string? expression)
    {
        var (jobs, warning) = await ResolveAsync(expression, request.QueryBool("allow_no_match"), request.QueryBool("allow_no_jobs")).ConfigureAwait(false);
        var excludeGenerated = request.QueryBool("exclude_generated") ?? false;
        var response = EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", jobs.Count);
            w.WriteStartArray("jobs");
            foreach (var job in jobs)
            {
                WriteJob(w, job, excludeGenerated, request.Human);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
        return warning is null ? response : response.WithDeprecationWarning(warning);
    }

    private async Task<EsResponse> UpdateAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        JobUpdate.CheckTargetJobId(jobId);
        var body = await RequireBodyAsync(request).ConfigureAwait(false);
        var update = JobUpdate.Parse(body);
        await _configLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var job = await GetJobAsync(jobId).ConfigureAwait(false);
            var status = await cluster.GetJobStatusAsync(jobId).ConfigureAwait(false);
            var updated = update.ApplyTo(job, status.State == JobState.Opened, await AllJobsAsync().ConfigureAwait(false));
            await CheckFiltersExistAsync(updated).ConfigureAwait(false);
            var stored = Serialize(w => WriteJob(w, updated));
            if (status.State != JobState.Closed)
            {
                // The job's grain keeps its configuration while the job is not closed; ES sends a running job's
                // process the new custom rules.
                await cluster.UpdateJobConfigAsync(jobId, stored).ConfigureAwait(false);
            }

            await store.UpdateAsync(jobId, stored).ConfigureAwait(false);
            return EsResponse.Json(w => WriteJob(w, updated, human: request.Human));
        }
        finally
        {
            _configLock.Release();
        }
    }

    private async Task<EsResponse> DeleteAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var force = request.QueryBool("force") ?? false;
        var wait = request.QueryBool("wait_for_completion") ?? true;
        _ = request.QueryBool("delete_user_annotations");
        await _configLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await GetJobAsync(jobId).ConfigureAwait(false);
            var status = await cluster.GetJobStatusAsync(jobId).ConfigureAwait(false);
            if (status.State != JobState.Closed)
            {
                if (!force)
                {
                    throw ElasticsearchException.Conflict(
                        $"Cannot delete job [{jobId}] because the job is {status.State.ToString().ToLowerInvariant()}");
                }

                await cluster.CloseJobAsync(jobId, force: true).ConfigureAwait(false);
            }

            await store.DeleteAsync(jobId).ConfigureAwait(false);

            // ES removes a deleted job from the calendars that name it.
            await CalendarsApi.RemoveJobFromCalendarsAsync(calendars, jobId).ConfigureAwait(false);
        }
        finally
        {
            _configLock.Release();
        }

        if (!wait)
        {
            var node = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
            return EsResponse.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("task", $"{node.Id}:{Random.Shared.NextInt64(1, long.MaxValue)}");
                w.WriteEndObject();
            });
        }

        return EsResponse.Acknowledged();
    }

    private static async Task<EsResponse> ValidateAsync(EsRequest request)
    {
        JobConfigParser.ValidateJob(await RequireBodyAsync(request).ConfigureAwait(false));
        return EsResponse.Acknowledged();
    }

    private static async Task<EsResponse> ValidateDetectorAsync(EsRequest request)
    {
        JobConfigParser.ValidateDetector(await RequireBodyAsync(request).ConfigureAwait(false));
        return EsResponse.Acknowledged();
    }

    private static async Task<EsResponse> EstimateAsync(EsRequest request)
    {
        var estimate = ModelMemoryEstimator.Estimate(await RequireBodyAsync(request).ConfigureAwait(false));
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("model_memory_estimate", estimate);
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> InfoAsync(EsRequest request)
    {
        var node = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
        var totalMlMb = node.MlMaxBytes / (1024 * 1024);
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("defaults");
            w.WriteStartObject();
            w.WritePropertyName("anomaly_detectors");
            w.WriteStartObject();
            w.WritePropertyName("categorization_analyzer");
            w.WriteRawValue(Vigil.Engine.Jobs.MlDefaults.CategorizationAnalyzerJson);
            w.WriteNumber("categorization_examples_limit", 4);
            w.WriteString("model_memory_limit", "1gb");
            w.WriteNumber("model_snapshot_retention_days", 10);
            w.WriteNumber("daily_model_snapshot_retention_after_days", 1);
            w.WriteEndObject();
            w.WritePropertyName("datafeeds");
            w.WriteStartObject();
            w.WriteNumber("scroll_size", 1000);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteBoolean("upgrade_mode", false);
            w.WritePropertyName("native_code");
            w.WriteStartObject();
            w.WriteString("version", ServerInfo.NativeCodeVersion);
            w.WriteString("build_hash", ServerInfo.BuildHash);
            w.WriteEndObject();
            w.WritePropertyName("limits");
            w.WriteStartObject();
            w.WriteString("max_single_ml_node_processors", node.AllocatedProcessors.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteNumber("total_ml_processors", node.AllocatedProcessors);
            w.WriteString("effective_max_model_memory_limit", $"{totalMlMb}mb");
            w.WriteString("total_ml_memory", $"{totalMlMb}mb");
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>Reads a body that must be present (400 <c>parse_exception</c> "request body is required").</summary>
    public static async Task<byte[]> RequireBodyAsync(EsRequest request)
    {
        var body = await request.ReadBodyAsync().ConfigureAwait(false);
        if (body.Length == 0)
        {
            throw ElasticsearchException.Parse("request body is required");
        }

        return body;
    }

    /// <summary>Serializes with a writer callback.</summary>
    public static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
