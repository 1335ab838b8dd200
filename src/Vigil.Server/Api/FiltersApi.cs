using System.Globalization;
using Vigil.Cluster;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Server.Http;
using Vigil.Storage;

namespace Vigil.Server.Api;

/// <summary>
/// ML filters (<c>_ml/filters</c>): the named item lists custom rule scopes refer to. Create, get (with paging and
/// id expressions), update (description, items added and removed) and delete (refused while a job uses the filter).
/// </summary>
/// <remarks>
/// Implementation note (mirrors ES <c>TransportPutFilterAction</c>, <c>TransportGetFiltersAction</c>,
/// <c>TransportUpdateFilterAction</c> and <c>TransportDeleteFilterAction</c>): an update is passed on to every open job
/// whose rules name the filter, so its scopes use the new items from its next bucket.
/// </remarks>
public sealed class FiltersApi(IFilterStore store, JobsApi jobs, IClusterFacade cluster)
{
    /// <summary>Page size when <c>size</c> is not given (ES <c>PageParams.DEFAULT_SIZE</c>).</summary>
    private const int DefaultSize = 100;

    /// <summary>Largest <c>from + size</c> (ES <c>PageParams</c>).</summary>
    private const int MaxWindow = 10000;

    private static readonly string[] GetParameters = ["from", "size"];

    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        router.Add("PUT", "/_ml/filters/{filter_id}", PutAsync);
        router.Add("GET", "/_ml/filters", r => GetAsync(r, null), GetParameters);
        router.Add("GET", "/_ml/filters/{filter_id}", r => GetAsync(r, r.Route("filter_id")), GetParameters);
        router.Add("POST", "/_ml/filters/{filter_id}/_update", UpdateAsync);
        router.Add("DELETE", "/_ml/filters/{filter_id}", DeleteAsync);
    }

    /// <summary>404 <c>resource_not_found_exception</c> for a filter that does not exist.</summary>
    public static ElasticsearchException NoSuchFilter(string filterId) =>
        ElasticsearchException.ResourceNotFound($"No filter with id [{filterId}] exists");

    private async Task<EsResponse> PutAsync(EsRequest request)
    {
        var filterId = request.Route("filter_id");
        var filter = MlFilter.ParseForPut(await JobsApi.RequireBodyAsync(request).ConfigureAwait(false), filterId);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!await store.TryCreateFilterAsync(filter.FilterId, JobsApi.Serialize(filter.Write)).ConfigureAwait(false))
            {
                throw ElasticsearchException.ResourceAlreadyExists($"A filter with id [{filter.FilterId}] already exists");
            }
        }
        finally
        {
            _lock.Release();
        }

        return EsResponse.Json(filter.Write);
    }

    private async Task<EsResponse> GetAsync(EsRequest request, string? expression)
    {
        var from = IntParameter(request, "from", 0);
        var size = IntParameter(request, "size", DefaultSize);
        if (from < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [from] cannot be < 0");
        }

        if (size < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [size] cannot be < 0");
        }

        if ((long)from + size > MaxWindow)
        {
            throw ElasticsearchException.IllegalArgument(
                $"The sum of parameters [from] and [size] cannot be higher than {MaxWindow.ToString(CultureInfo.InvariantCulture)}.");
        }

        var matched = Resolve(expression, await AllFiltersAsync().ConfigureAwait(false));
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", matched.Count);
            w.WriteStartArray("filters");
            for (var i = from; i < matched.Count && i < (long)from + size; i++)
            {
                matched[i].Write(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> UpdateAsync(EsRequest request)
    {
        var filterId = request.Route("filter_id");
        var update = MlFilterUpdate.Parse(await JobsApi.RequireBodyAsync(request).ConfigureAwait(false), filterId);
        MlFilter updated;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var raw = await store.GetFilterAsync(filterId).ConfigureAwait(false) ?? throw NoSuchFilter(filterId);
            var current = MlFilter.ParseStored(raw);
            updated = update.ApplyTo(current);
            if (update.IsNoop)
            {
                return EsResponse.Json(current.Write);
            }

            if (!await store.UpdateFilterAsync(filterId, JobsApi.Serialize(updated.Write)).ConfigureAwait(false))
            {
                throw NoSuchFilter(filterId);
            }
        }
        finally
        {
            _lock.Release();
        }

        // ES JobManager.notifyFilterChanged: open jobs using the filter get the new items.
        foreach (var job in await jobs.AllJobsAsync().ConfigureAwait(false))
        {
            if (job.ReferencedFilterIds().Contains(filterId))
            {
                await cluster.UpdateJobFilterAsync(job.JobId, filterId, updated.Items).ConfigureAwait(false);
            }
        }

        return EsResponse.Json(updated.Write);
    }

    private async Task<EsResponse> DeleteAsync(EsRequest request)
    {
        var filterId = request.Route("filter_id");
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var usedBy = new List<string>();
            foreach (var job in await jobs.AllJobsAsync().ConfigureAwait(false))
            {
                if (job.ReferencedFilterIds().Contains(filterId))
                {
                    usedBy.Add(job.JobId);
                }
            }

            if (usedBy.Count > 0)
            {
                throw ElasticsearchException.Conflict($"Cannot delete filter [{filterId}] currently used by jobs [{string.Join(", ", usedBy)}]");
            }

            if (!await store.DeleteFilterAsync(filterId).ConfigureAwait(false))
            {
                throw ElasticsearchException.ResourceNotFound($"Could not delete filter with ID [{filterId}] because it does not exist");
            }
        }
        finally
        {
            _lock.Release();
        }

        return EsResponse.Acknowledged();
    }

    /// <summary>Every stored filter, sorted by id (Java string order).</summary>
    private async Task<List<MlFilter>> AllFiltersAsync()
    {
        var stored = await store.ListFiltersAsync().ConfigureAwait(false);
        var filters = new List<MlFilter>(stored.Count);
        foreach (var document in stored)
        {
            filters.Add(MlFilter.ParseStored(document.Content));
        }

        filters.Sort(static (a, b) => string.CompareOrdinal(a.FilterId, b.FilterId));
        return filters;
    }

    /// <summary>
    /// The filters an id expression (comma-separated ids and <c>*</c> patterns; none, <c>_all</c> or <c>*</c> for all) names.
    /// A pattern may match nothing; an explicit id must exist (404 naming the missing ids).
    /// </summary>
    private static List<MlFilter> Resolve(string? expression, List<MlFilter> all)
    {
        if (JobIdExpression.IsAll(expression))
        {
            return all;
        }

        var tokens = expression!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new List<MlFilter>();
        var missing = new List<string>();
        foreach (var token in tokens)
        {
            var wildcard = token.Contains('*', StringComparison.Ordinal);
            var found = false;
            foreach (var filter in all)
            {
                if (wildcard ? JobIdExpression.SimpleMatch(token, filter.FilterId) : token == filter.FilterId)
                {
                    found = true;
                    if (!result.Contains(filter))
                    {
                        result.Add(filter);
                    }
                }
            }

            if (!found && !wildcard)
            {
                missing.Add(token);
            }
        }

        if (missing.Count > 0)
        {
            throw NoSuchFilter(string.Join(",", missing));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.FilterId, b.FilterId));
        return result;
    }

    private static int IntParameter(EsRequest request, string name, int fallback)
    {
        var raw = request.Query(name);
        if (raw is null)
        {
            return fallback;
        }

        return int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ElasticsearchException.IllegalArgument($"Failed to parse int parameter [{name}] with value [{raw}]");
    }
}
