using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Vigil.Cluster;
using Vigil.Cluster.Jobs;
using Vigil.Cluster.Nodes;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Engine.Requests;
using Vigil.Server.Http;

namespace Vigil.Server.Api;

/// <summary>Open, close, post data, flush and job statistics.</summary>
public sealed class JobLifecycleApi(JobsApi jobs, IClusterFacade cluster, TimeProvider time)
{
    /// <summary>The deprecation warning every <c>_data</c> call carries (8.x wording).</summary>
    public const string PostDataDeprecation =
        "Posting data directly to anomaly detection jobs is deprecated, in a future major version it will be compulsory to use a datafeed";

    private static readonly string[] OpenParameters = ["timeout"];
    private static readonly string[] CloseParameters = ["allow_no_match", "allow_no_jobs", "force", "timeout"];
    private static readonly string[] FlushParameters = ["calc_interim", "start", "end", "advance_time", "skip_time"];
    private static readonly string[] DataParameters = ["reset_start", "reset_end"];
    private static readonly string[] StatsParameters = ["allow_no_match", "allow_no_jobs"];

    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        router.Add("POST", "/_ml/anomaly_detectors/{job_id}/_open", OpenAsync, OpenParameters);
        router.Add("POST", "/_ml/anomaly_detectors/{job_id}/_close", CloseAsync, CloseParameters);
        router.Add("POST", "/_ml/anomaly_detectors/{job_id}/_flush", FlushAsync, FlushParameters);
        router.Add("POST", "/_ml/anomaly_detectors/{job_id}/_data", PostDataAsync, DataParameters, acceptsCsv: true);
        router.Add("GET", "/_ml/anomaly_detectors/_stats", r => StatsAsync(r, null), StatsParameters);
        router.Add("GET", "/_ml/anomaly_detectors/{job_id}/_stats", r => StatsAsync(r, r.Route("job_id")), StatsParameters);
    }

    private async Task<EsResponse> OpenAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var parameters = await ParametersAsync(request, "open_job_request", ["job_id", "timeout"]).ConfigureAwait(false);
        CheckBodyJobId(parameters, jobId);
        _ = ParseTimeout(parameters);
        await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var assigned = await cluster.OpenJobAsync(jobId).ConfigureAwait(false);
        var node = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("opened", true);
            w.WriteString("node", assigned ? node.Id : "");
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> CloseAsync(EsRequest request)
    {
        var expression = request.Route("job_id");
        var parameters = await ParametersAsync(request, "close_job_request", ["job_id", "allow_no_match", "allow_no_jobs", "force", "timeout"]).ConfigureAwait(false);
        CheckBodyJobId(parameters, expression);
        _ = ParseTimeout(parameters);
        var force = Bool(parameters, "force") ?? false;
        var (targets, warning) = await jobs.ResolveAsync(expression, Bool(parameters, "allow_no_match"), Bool(parameters, "allow_no_jobs")).ConfigureAwait(false);
        if (!force)
        {
            var failed = 0;
            foreach (var job in targets)
            {
                if ((await cluster.GetJobStatusAsync(job.JobId).ConfigureAwait(false)).State == JobState.Failed)
                {
                    failed++;
                }
            }

            if (failed > 0)
            {
                throw ElasticsearchException.Conflict(targets.Count == 1
                    ? $"cannot close job [{targets[0].JobId}] because it failed, use force close"
                    : "one or more jobs have state failed, use force close");
            }
        }

        foreach (var job in targets)
        {
            await cluster.CloseJobAsync(job.JobId, force).ConfigureAwait(false);
        }

        var response = EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("closed", true);
            w.WriteEndObject();
        });
        return warning is null ? response : response.WithDeprecationWarning(warning);
    }

    private async Task<EsResponse> FlushAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var p = await ParametersAsync(request, "flush_job_request", ["job_id", "calc_interim", "start", "end", "advance_time", "skip_time"]).ConfigureAwait(false);
        CheckBodyJobId(p, jobId);
        var calcInterim = Bool(p, "calc_interim") ?? false;
        long? start = p.TryGetValue("start", out var s) ? DateParam.Parse("start", s, time, allowNow: true) : null;
        long? end = p.TryGetValue("end", out var e) ? DateParam.Parse("end", e, time, allowNow: true) : null;
        long? advance = p.TryGetValue("advance_time", out var a) ? DateParam.Parse("advance_time", a, time, allowNow: true) : null;
        long? skip = p.TryGetValue("skip_time", out var k) ? DateParam.Parse("skip_time", k, time, allowNow: true) : null;
        ValidateFlush(calcInterim, start, end, advance, skip, p);
        await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var last = await cluster.FlushJobAsync(jobId, new FlushParameters(calcInterim, start, end, advance, skip)).ConfigureAwait(false);
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("flushed", true);
            if (last is { } l)
            {
                if (request.Human)
                {
                    w.WriteString("last_finalized_bucket_end_string", Vigil.Engine.DataCounts.DataCountsSnapshot.FormatIso(l));
                }

                w.WriteNumber("last_finalized_bucket_end", l);
            }

            w.WriteEndObject();
        });
    }

    /// <summary>Elasticsearch's flush parameter rules (FlushJobParams / TimeRange).</summary>
    private static void ValidateFlush(bool calcInterim, long? start, long? end, long? advance, long? skip, Dictionary<string, string> raw)
    {
        if (!calcInterim)
        {
            if (start is not null)
            {
                throw ElasticsearchException.IllegalArgument("Invalid flush parameters: unexpected 'start'.");
            }

            if (end is not null)
            {
                throw ElasticsearchException.IllegalArgument("Invalid flush parameters: unexpected 'end'.");
            }
        }
        else if (end is not null && start is null)
        {
            throw ElasticsearchException.IllegalArgument("Invalid flush parameters: 'start' has not been specified.");
        }

        if (start is { } s && end is { } e && e < s)
        {
            throw ElasticsearchException.IllegalArgument($"Invalid time range: end time '{raw["end"]}' is earlier than start time '{raw["start"]}'.");
        }

        if (advance is { } a && skip is { } k && a <= k)
        {
            throw ElasticsearchException.IllegalArgument($"advance_time [{raw["advance_time"]}] must be later than skip_time [{raw["skip_time"]}]");
        }
    }

    private async Task<EsResponse> PostDataAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var resetStart = request.Query("reset_start") is { } rs ? DateParam.Parse("reset_start", rs, time, allowNow: true) : (long?)null;
        var resetEnd = request.Query("reset_end") is { } re ? DateParam.Parse("reset_end", re, time, allowNow: true) : (long?)null;
        await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var reader = request.BodyReader;
        var counts = await cluster.PostDataAsync(jobId, request.ContentKind == ContentKind.Csv, resetStart, resetEnd, memory => ReadAsync(reader, memory)).ConfigureAwait(false);
        return EsResponse.Json(w => w.WriteRawValue(counts), status: 202).WithDeprecationWarning(PostDataDeprecation);
    }

    private static async ValueTask<int> ReadAsync(PipeReader reader, Memory<byte> destination)
    {
        var result = await reader.ReadAsync().ConfigureAwait(false);
        var buffer = result.Buffer;
        if (buffer.IsEmpty && result.IsCompleted)
        {
            reader.AdvanceTo(buffer.End);
            return 0;
        }

        var n = (int)Math.Min(buffer.Length, destination.Length);
        var slice = buffer.Slice(0, n);
        System.Buffers.BuffersExtensions.CopyTo(slice, destination.Span);
        reader.AdvanceTo(slice.End);
        return n;
    }

    private async Task<EsResponse> StatsAsync(EsRequest request, string? expression)
    {
        var (targets, warning) = await jobs.ResolveAsync(expression, request.QueryBool("allow_no_match"), request.QueryBool("allow_no_jobs")).ConfigureAwait(false);
        var statuses = new List<(JobConfig Job, JobRuntimeStatus Status)>(targets.Count);
        foreach (var job in targets)
        {
            statuses.Add((job, await cluster.GetJobStatusAsync(job.JobId).ConfigureAwait(false)));
        }

        var node = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var human = request.Human;
        var response = EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", statuses.Count);
            w.WriteStartArray("jobs");
            foreach (var (job, status) in statuses)
            {
                WriteStats(w, job, status, node, now, human);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
        return warning is null ? response : response.WithDeprecationWarning(warning);
    }

    private static void WriteStats(Utf8JsonWriter w, JobConfig job, JobRuntimeStatus status, NodeInfo node, long now, bool human)
    {
        w.WriteStartObject();
        w.WriteString("job_id", job.JobId);
        w.WritePropertyName("data_counts");
        if (status.DataCounts is { } counts)
        {
            if (human)
            {
                Vigil.Engine.Jobs.DataCountsDocument.Parse(counts).WriteTo(w, job.JobId, human: true);
            }
            else
            {
                w.WriteRawValue(counts);
            }
        }
        else
        {
            Vigil.Engine.DataCounts.DataCountsSnapshot.Empty.WriteTo(w, job.JobId, human);
        }

        w.WritePropertyName("model_size_stats");
        WriteModelSizeStats(w, job, status, now);
        w.WritePropertyName("forecasts_stats");
        w.WriteStartObject();
        w.WriteNumber("total", 0);
        w.WriteNumber("forecasted_jobs", 0);
        w.WriteEndObject();
        w.WriteString("state", status.State.ToString().ToLowerInvariant());
        if (status.State != JobState.Closed && status.NodeId is not null)
        {
            w.WritePropertyName("node");
            WriteNode(w, node);
        }

        if (status.AssignmentExplanation is { } explanation)
        {
            w.WriteString("assignment_explanation", explanation);
        }

        if (status.OpenTimeMs is { } opened)
        {
            w.WriteString("open_time", ((now - opened) / 1000).ToString(CultureInfo.InvariantCulture) + "s");
        }

        w.WritePropertyName("timing_stats");
        if (status.TimingStats is { } timing)
        {
            w.WriteRawValue(timing);
        }
        else
        {
            new Vigil.Engine.Jobs.TimingStats().WriteTo(w, job.JobId);
        }

        w.WriteEndObject();
    }

    private static void WriteModelSizeStats(Utf8JsonWriter w, JobConfig job, JobRuntimeStatus status, long now)
    {
        if (status.ModelSizeStats is { } stored)
        {
            w.WriteRawValue(stored);
            return;
        }

        // A job that never ran: Elasticsearch's defaults.
        new Vigil.Engine.Jobs.ModelSizeStats(0, 0, job.ModelMemoryLimitMb * 1024 * 1024, 0, 0, 0, now, null).WriteTo(w, job.JobId);
    }

    /// <summary>The <c>node</c> object of job stats.</summary>
    public static void WriteNode(Utf8JsonWriter w, NodeInfo node)
    {
        w.WriteStartObject();
        w.WriteString("id", node.Id);
        w.WriteString("name", node.Name);
        w.WriteString("ephemeral_id", node.EphemeralId);
        w.WriteString("transport_address", node.TransportAddress);
        w.WritePropertyName("attributes");
        w.WriteStartObject();
        foreach (var (key, value) in node.Attributes)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Parameters from the body when one is sent (Elasticsearch then reads only the body), else the query.</summary>
    private static async Task<Dictionary<string, string>> ParametersAsync(EsRequest request, string objectName, IReadOnlyList<string> fields)
    {
        if (request.HasBody)
        {
            var body = await request.ReadBodyAsync().ConfigureAwait(false);
            if (body.Length > 0)
            {
                return RequestBody.ParseFlat(body, objectName, fields);
            }
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in fields)
        {
            if (request.Query(name) is { } v)
            {
                values[name] = v;
            }
        }

        return values;
    }

    private static void CheckBodyJobId(Dictionary<string, string> parameters, string jobId)
    {
        if (parameters.TryGetValue("job_id", out var bodyId) && bodyId != jobId)
        {
            throw ElasticsearchException.IllegalArgument(
                $"Inconsistent job_id; '{bodyId}' specified in the body differs from '{jobId}' specified as a URL argument");
        }
    }

    private static TimeValue? ParseTimeout(Dictionary<string, string> parameters) =>
        parameters.TryGetValue("timeout", out var t) ? TimeValue.Parse(t, "timeout") : null;

    private static bool? Bool(Dictionary<string, string> parameters, string name) =>
        parameters.TryGetValue(name, out var v) ? EsRequest.ParseBool(name, v) : null;
}
