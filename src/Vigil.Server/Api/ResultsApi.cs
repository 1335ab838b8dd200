using System.Globalization;
using System.Text.Json.Nodes;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Engine.Requests;
using Vigil.Server.Http;
using Vigil.Storage;

namespace Vigil.Server.Api;

/// <summary>Results: buckets, records, influencers, overall buckets and categories (GET or POST, parameters in query or body).</summary>
public sealed class ResultsApi(JobsApi jobs, IResultStore results, TimeProvider time)
{
    private const string BucketsParser = "cluster:monitor/xpack/ml/job/results/buckets/get";
    private const string RecordsParser = "cluster:monitor/xpack/ml/job/results/records/get";
    private const string InfluencersParser = "cluster:monitor/xpack/ml/job/results/influencers/get";
    private const string OverallParser = "cluster:monitor/xpack/ml/job/results/overall_buckets/get";
    private const string CategoriesParser = "cluster:monitor/xpack/ml/job/results/categories/get";

    private static readonly string[] BucketFields = ["job_id", "timestamp", "expand", "exclude_interim", "start", "end", "anomaly_score", "sort", "desc"];
    private static readonly string[] RecordFields = ["job_id", "exclude_interim", "start", "end", "record_score", "sort", "desc"];
    private static readonly string[] InfluencerFields = ["job_id", "exclude_interim", "start", "end", "influencer_score", "sort", "desc"];
    private static readonly string[] OverallFields = ["job_id", "top_n", "bucket_span", "overall_score", "exclude_interim", "start", "end", "allow_no_match", "allow_no_jobs"];
    private static readonly string[] CategoryFields = ["job_id", "category_id", "partition_field_value"];
    private static readonly Dictionary<string, IReadOnlyList<string>> PageObject = new(StringComparer.Ordinal) { ["page"] = ["from", "size"] };

    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        string[] bucketQuery = ["expand", "exclude_interim", "start", "end", "anomaly_score", "sort", "desc", "from", "size"];
        string[] recordQuery = ["exclude_interim", "start", "end", "record_score", "sort", "desc", "from", "size"];
        string[] influencerQuery = ["exclude_interim", "start", "end", "influencer_score", "sort", "desc", "from", "size"];
        string[] categoryQuery = ["from", "size", "partition_field_value"];
        string[] overallQuery = ["top_n", "bucket_span", "overall_score", "exclude_interim", "start", "end", "allow_no_match", "allow_no_jobs"];
        foreach (var method in new[] { "GET", "POST" })
        {
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/buckets", r => BucketsAsync(r, null), bucketQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/buckets/{timestamp}", r => BucketsAsync(r, r.Route("timestamp")), bucketQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/records", RecordsAsync, recordQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/influencers", InfluencersAsync, influencerQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/overall_buckets", OverallBucketsAsync, overallQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/categories", r => CategoriesAsync(r, null), categoryQuery);
            router.Add(method, "/_ml/anomaly_detectors/{job_id}/results/categories/{category_id}", r => CategoriesAsync(r, r.Route("category_id")),
                categoryQuery);
        }
    }

    private async Task<EsResponse> BucketsAsync(EsRequest request, string? timestamp)
    {
        var jobId = request.Route("job_id");
        var p = await ParametersAsync(request, BucketsParser, BucketFields).ConfigureAwait(false);
        if (timestamp is not null)
        {
            // Elasticsearch: with a timestamp, paging, a range or a score threshold make no sense.
            foreach (var name in new[] { "start", "end", "page.from", "page.size", "from", "size", "anomaly_score" })
            {
                if (p.ContainsKey(name))
                {
                    throw ElasticsearchException.IllegalArgument(
                        p.ContainsKey("page.from") || p.ContainsKey("page.size") || request.HasBody
                            ? "Param [timestamp] is incompatible with [from,size,start,end,anomaly_score]"
                            : $"Param [{name}] is incompatible with [timestamp].");
                }
            }
        }

        var job = await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var sort = SortField(p, "timestamp");
        var query = new ResultQuery
        {
            JobIds = [job.JobId],
            ResultType = "bucket",
            Timestamp = timestamp is null ? null : DateParam.Parse("timestamp", timestamp, time),
            Start = Date(p, "start"),
            End = Date(p, "end"),
            MinScore = Double(p, "anomaly_score"),
            ExcludeInterim = Bool(p, "exclude_interim") ?? false,
            SortField = sort == "anomaly_score" ? "score" : sort,
            Descending = Bool(p, "desc") ?? false,
            From = Int(p, "from") ?? 0,
            Size = Int(p, "size") ?? 100,
        };
        var page = await results.QueryAsync(query).ConfigureAwait(false);
        var expand = Bool(p, "expand") ?? false;
        var buckets = new List<JsonNode>(page.Rows.Count);
        foreach (var row in page.Rows)
        {
            var bucket = JsonNode.Parse(row.Document)!.AsObject();
            if (expand)
            {
                var records = await results.QueryAsync(new ResultQuery
                {
                    JobIds = [job.JobId],
                    ResultType = "record",
                    Timestamp = row.Timestamp,
                    ExcludeInterim = query.ExcludeInterim,
                    SortField = "score",
                    Descending = true,
                    Size = 10_000,
                }).ConfigureAwait(false);
                bucket = WithRecords(bucket, records.Rows);
            }

            buckets.Add(bucket);
        }

        if (timestamp is not null && page.Total == 0)
        {
            throw ElasticsearchException.ResourceNotFound($"No known bucket with id [{timestamp}]");
        }

        return Page("buckets", page.Total, buckets, request.Human);
    }

    private async Task<EsResponse> RecordsAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var p = await ParametersAsync(request, RecordsParser, RecordFields).ConfigureAwait(false);
        var job = await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var sort = SortField(p, "record_score");
        var page = await results.QueryAsync(new ResultQuery
        {
            JobIds = [job.JobId],
            ResultType = "record",
            Start = Date(p, "start"),
            End = Date(p, "end"),
            MinScore = Double(p, "record_score"),
            ExcludeInterim = Bool(p, "exclude_interim") ?? false,
            SortField = sort == "record_score" ? "score" : sort,
            Descending = Bool(p, "desc") ?? true,
            From = Int(p, "from") ?? 0,
            Size = Int(p, "size") ?? 100,
        }).ConfigureAwait(false);
        return Page("records", page.Total, Parse(page.Rows), request.Human);
    }

    private async Task<EsResponse> InfluencersAsync(EsRequest request)
    {
        var jobId = request.Route("job_id");
        var p = await ParametersAsync(request, InfluencersParser, InfluencerFields).ConfigureAwait(false);
        var job = await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var sort = SortField(p, "influencer_score");
        var page = await results.QueryAsync(new ResultQuery
        {
            JobIds = [job.JobId],
            ResultType = "influencer",
            Start = Date(p, "start"),
            End = Date(p, "end"),
            MinScore = Double(p, "influencer_score"),
            ExcludeInterim = Bool(p, "exclude_interim") ?? false,
            SortField = sort == "influencer_score" ? "score" : sort,
            Descending = Bool(p, "desc") ?? true,
            From = Int(p, "from") ?? 0,
            Size = Int(p, "size") ?? 100,
        }).ConfigureAwait(false);
        return Page("influencers", page.Total, Parse(page.Rows), request.Human);
    }

    /// <summary>
    /// Overall buckets: for each span (the largest job bucket span unless given), each job's highest bucket
    /// anomaly score in it; the overall score is the mean of the top_n of those.
    /// </summary>
    private async Task<EsResponse> OverallBucketsAsync(EsRequest request)
    {
        var expression = request.Route("job_id");
        var p = await ParametersAsync(request, OverallParser, OverallFields).ConfigureAwait(false);
        var topN = Int(p, "top_n") ?? 1;
        if (topN <= 0)
        {
            throw ElasticsearchException.IllegalArgument($"[topN] parameter must be positive, found [{topN}]");
        }

        var (targets, warning) = await jobs.ResolveAsync(expression, Bool(p, "allow_no_match"), Bool(p, "allow_no_jobs")).ConfigureAwait(false);
        if (targets.Count == 0)
        {
            return Page("overall_buckets", 0, []);
        }

        var maxSpan = targets[0].AnalysisConfig.BucketSpan;
        foreach (var job in targets)
        {
            if (job.AnalysisConfig.BucketSpan.TotalMilliseconds > maxSpan.TotalMilliseconds)
            {
                maxSpan = job.AnalysisConfig.BucketSpan;
            }
        }

        var spanMs = maxSpan.TotalMilliseconds;
        if (p.TryGetValue("bucket_span", out var spanText))
        {
            var requested = TimeValue.Parse(spanText, "bucket_span");
            if (requested.TotalMilliseconds < maxSpan.TotalMilliseconds)
            {
                throw ElasticsearchException.IllegalArgument(
                    $"Param [bucket_span] must be greater or equal to the max bucket_span [{maxSpan.ToStringRep()}]");
            }

            spanMs = requested.TotalMilliseconds;
        }

        var excludeInterim = Bool(p, "exclude_interim") ?? false;
        var start = Date(p, "start");
        var end = Date(p, "end");
        var minScore = Double(p, "overall_score") ?? 0;
        var jobIds = new List<string>(targets.Count);
        foreach (var job in targets)
        {
            jobIds.Add(job.JobId);
        }

        // Per overall bucket: per job, max score and whether any contributing bucket was interim.
        var spans = new SortedDictionary<long, SortedDictionary<string, (double Max, bool Interim)>>();
        var from = 0;
        while (true)
        {
            var page = await results.QueryAsync(new ResultQuery
            {
                JobIds = jobIds,
                ResultType = "bucket",
                Start = start is { } s ? s - (((s % spanMs) + spanMs) % spanMs) : null,
                End = end,
                ExcludeInterim = excludeInterim,
                From = from,
                Size = 10_000,
            }).ConfigureAwait(false);
            foreach (var row in page.Rows)
            {
                var jobId = JsonNode.Parse(row.Document)!["job_id"]!.GetValue<string>();
                var key = row.Timestamp - (((row.Timestamp % spanMs) + spanMs) % spanMs);
                if (!spans.TryGetValue(key, out var perJob))
                {
                    spans[key] = perJob = new SortedDictionary<string, (double, bool)>(StringComparer.Ordinal);
                }

                var current = perJob.GetValueOrDefault(jobId);
                perJob[jobId] = (Math.Max(current.Max, row.Score), current.Interim || row.IsInterim);
            }

            from += page.Rows.Count;
            if (page.Rows.Count == 0 || from >= page.Total)
            {
                break;
            }
        }

        var overall = new List<JsonNode>();
        foreach (var (timestamp, perJob) in spans)
        {
            var maxima = new List<double>(perJob.Count);
            var interim = false;
            var jobsArray = new JsonArray();
            foreach (var (jobId, (max, isInterim)) in perJob)
            {
                maxima.Add(max);
                interim |= isInterim;
                jobsArray.Add(new JsonObject { ["job_id"] = jobId, ["max_anomaly_score"] = max });
            }

            maxima.Sort((a, b) => b.CompareTo(a));
            var n = Math.Min(topN, maxima.Count);
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += maxima[i];
            }

            var score = sum / topN;
            if (score < minScore || (start is { } st && timestamp < st - spanMs + 1 && timestamp + spanMs <= st))
            {
                continue;
            }

            overall.Add(new JsonObject
            {
                ["timestamp"] = timestamp,
                ["bucket_span"] = spanMs / 1000,
                ["overall_score"] = score,
                ["jobs"] = jobsArray,
                ["is_interim"] = interim,
                ["result_type"] = "overall_bucket",
            });
        }

        var response = Page("overall_buckets", overall.Count, overall, request.Human);
        return warning is null ? response : response.WithDeprecationWarning(warning);
    }

    /// <summary>
    /// <c>GET results/categories[/{category_id}]</c>: category definitions sorted by id, paged (default 0/100), optionally of
    /// one partition value. As Elasticsearch, paging together with a category id is refused, and an id that matches
    /// nothing answers an empty page.
    /// </summary>
    private async Task<EsResponse> CategoriesAsync(EsRequest request, string? categoryPath)
    {
        var jobId = request.Route("job_id");
        var p = await ParametersAsync(request, CategoriesParser, CategoryFields).ConfigureAwait(false);
        var categoryText = categoryPath ?? p.GetValueOrDefault("category_id");
        long? categoryId = null;
        if (categoryText is not null)
        {
            categoryId = long.TryParse(categoryText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
                ? id
                : throw new ElasticsearchException("number_format_exception", $"For input string: \"{categoryText}\"", 400);
            if (p.ContainsKey("from") || p.ContainsKey("size"))
            {
                throw new ElasticsearchException("action_request_validation_exception",
                    "Validation Failed: 1: Params [from, size] are incompatible with [category_id].;", 400);
            }
        }

        var job = await jobs.GetJobAsync(jobId).ConfigureAwait(false);
        var page = await results.QueryCategoriesAsync(job.JobId, categoryId, p.GetValueOrDefault("partition_field_value"),
            Int(p, "from") ?? 0, Int(p, "size") ?? 100).ConfigureAwait(false);
        var categories = new List<JsonNode>(page.Rows.Count);
        foreach (var row in page.Rows)
        {
            categories.Add(JsonNode.Parse(row.Document)!);
        }

        return Page("categories", page.Total, categories);
    }

    private static JsonObject WithRecords(JsonObject bucket, IReadOnlyList<ResultRow> records)
    {
        // Keep Elasticsearch's field order: records come right after initial_anomaly_score.
        var copy = new JsonObject();
        foreach (var (key, value) in bucket)
        {
            copy[key] = value?.DeepClone();
            if (key == "initial_anomaly_score")
            {
                var array = new JsonArray();
                foreach (var r in records)
                {
                    array.Add(JsonNode.Parse(r.Document));
                }

                copy["records"] = array;
            }
        }

        return copy;
    }

    /// <summary>With <c>?human</c>, every <c>timestamp</c> gets a <c>timestamp_string</c> twin written before it.</summary>
    private static JsonNode Humanize(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                {
                    var copy = new JsonObject();
                    foreach (var (key, value) in obj)
                    {
                        if (key == "timestamp" && value is JsonValue v && v.TryGetValue<long>(out var ms))
                        {
                            copy["timestamp_string"] = Vigil.Engine.DataCounts.DataCountsSnapshot.FormatIso(ms);
                        }

                        copy[key] = value is null ? null : Humanize(value);
                    }

                    return copy;
                }

            case JsonArray array:
                {
                    var copy = new JsonArray();
                    foreach (var item in array)
                    {
                        copy.Add(item is null ? null : Humanize(item));
                    }

                    return copy;
                }

            default:
                return node.DeepClone();
        }
    }

    private static List<JsonNode> Parse(IReadOnlyList<ResultRow> rows)
    {
        var nodes = new List<JsonNode>(rows.Count);
        foreach (var row in rows)
        {
            nodes.Add(JsonNode.Parse(row.Document)!);
        }

        return nodes;
    }

    private static EsResponse Page(string name, long total, IReadOnlyList<JsonNode> items, bool human = false) => EsResponse.Json(w =>
    {
        w.WriteStartObject();
        w.WriteNumber("count", total);
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            (human ? Humanize(item) : item).WriteTo(w);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static async Task<Dictionary<string, string>> ParametersAsync(EsRequest request, string parser, IReadOnlyList<string> bodyFields)
    {
        Dictionary<string, string> values;
        if (request.HasBody && await request.ReadBodyAsync().ConfigureAwait(false) is { Length: > 0 } body)
        {
            values = RequestBody.ParseFlat(body, parser, bodyFields, PageObject);
            if (values.Remove("page.from", out var f))
            {
                values["from"] = f;
                values["page.from"] = f;
            }

            if (values.Remove("page.size", out var s))
            {
                values["size"] = s;
                values["page.size"] = s;
            }
        }
        else
        {
            values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in request.Context.Request.Query)
            {
                if (!RestRouter.GenericParameters.Contains(key))
                {
                    values[key] = value[^1] ?? "";
                }
            }
        }

        if (values.TryGetValue("size", out var size) && int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [size] cannot be < 0");
        }

        if (values.TryGetValue("from", out var from) && int.TryParse(from, NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [from] cannot be < 0");
        }

        return values;
    }

    /// <summary>The sort field, refused (400) unless it can name a result field.</summary>
    private static string SortField(Dictionary<string, string> p, string fallback)
    {
        var sort = p.GetValueOrDefault("sort") ?? fallback;
        foreach (var c in sort)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                throw ElasticsearchException.IllegalArgument($"No mapping found for [{sort}] in order to sort on");
            }
        }

        return sort;
    }

    private long? Date(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var v) && v.Length > 0 ? DateParam.Parse(name, v, time, allowNow: true) : null;

    private static bool? Bool(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var v) ? EsRequest.ParseBool(name, v) : null;

    private static double? Double(Dictionary<string, string> p, string name)
    {
        if (!p.TryGetValue(name, out var v))
        {
            return null;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw ElasticsearchException.IllegalArgument($"Failed to parse [{name}] with value [{v}]");
    }

    private static int? Int(Dictionary<string, string> p, string name)
    {
        if (!p.TryGetValue(name, out var v))
        {
            return null;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw ElasticsearchException.IllegalArgument($"Failed to parse int parameter [{name}] with value [{v}]");
    }
}
