namespace Vigil.Storage;

/// <summary>
/// Stores a job's results (buckets, records, influencers, model plot) as JSON documents with the few
/// columns queries filter and sort on.
/// </summary>
public interface IResultStore
{
    /// <summary>
    /// Writes results. When <paramref name="replaceInterim"/> is true, the job's interim results are deleted
    /// first, in the same transaction (final results of a bucket supersede its interim ones).
    /// </summary>
    Task WriteAsync(string jobId, IReadOnlyList<ResultRow> rows, bool replaceInterim, CancellationToken cancellationToken = default);

    /// <summary>Queries one result type of one or more jobs.</summary>
    Task<ResultPage> QueryAsync(ResultQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the final (not interim) results of one type of a job with <paramref name="start"/> ≤ timestamp &lt;
    /// <paramref name="end"/>, in timestamp order, for renormalization.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="resultType"><c>bucket</c>, <c>record</c> or <c>influencer</c>.</param>
    /// <param name="start">Window start, epoch ms (inclusive).</param>
    /// <param name="end">Window end, epoch ms (exclusive).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    IAsyncEnumerable<ResultRow> ReadFinalAsync(string jobId, string resultType, long start, long end,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the score and document of existing final results, all in one transaction (renormalization). An update
    /// whose result no longer exists, or is interim, is ignored.
    /// </summary>
    /// <returns>Number of results updated.</returns>
    Task<int> UpdateScoresAsync(string jobId, IReadOnlyList<ScoreUpdate> updates, CancellationToken cancellationToken = default);

    /// <summary>Deletes every result of a job (category definitions included).</summary>
    Task DeleteJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces category definitions of a job (by category id), in one transaction.</summary>
    Task UpsertCategoriesAsync(string jobId, IReadOnlyList<CategoryRow> categories, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a job's category definitions sorted by category id: one (<paramref name="categoryId"/>), or a page of those of
    /// a partition value (<paramref name="partitionValue"/>) or of all.
    /// </summary>
    Task<CategoryPage> QueryCategoriesAsync(string jobId, long? categoryId, string? partitionValue, int from, int size,
        CancellationToken cancellationToken = default);
}

/// <summary>One stored category definition.</summary>
/// <param name="CategoryId">The category id.</param>
/// <param name="PartitionValue">The partition value with per-partition categorization; else null.</param>
/// <param name="Document">The JSON document, as the API returns it.</param>
public sealed record CategoryRow(long CategoryId, string? PartitionValue, byte[] Document);

/// <summary>A page of category definitions and the total count of matches.</summary>
public sealed record CategoryPage(long Total, IReadOnlyList<CategoryRow> Rows);

/// <summary>One result document.</summary>
/// <param name="ResultType"><c>bucket</c>, <c>record</c>, <c>influencer</c> or <c>model_plot</c>.</param>
/// <param name="Id">Unique id within the job and type.</param>
/// <param name="Timestamp">Bucket start, epoch ms.</param>
/// <param name="Score">anomaly_score, record_score or influencer_score (0 for model plot).</param>
/// <param name="IsInterim">Whether the result is interim.</param>
/// <param name="Document">The JSON document, as the API returns it.</param>
/// <param name="NormalizerFeature">Records: the detector feature whose normalizer scored it; null when unknown.</param>
/// <param name="NormalizerScope">Records and influencers: the normalizer scope; null when unknown.</param>
/// <param name="NormalizerFamily">Records and influencers: how many results the normalizer scored in the bucket; null when
/// unknown (taken as 1).</param>
public sealed record ResultRow(string ResultType, string Id, long Timestamp, double Score, bool IsInterim, byte[] Document,
    int? NormalizerFeature = null, int? NormalizerScope = null, int? NormalizerFamily = null);

/// <summary>A renormalized result: its new score column and whole new document.</summary>
/// <param name="ResultType"><c>bucket</c>, <c>record</c> or <c>influencer</c>.</param>
/// <param name="Id">The result's id.</param>
/// <param name="Score">New anomaly_score, record_score or influencer_score.</param>
/// <param name="Document">The document with the new normalized score(s).</param>
public sealed record ScoreUpdate(string ResultType, string Id, double Score, byte[] Document);

/// <summary>A result query.</summary>
public sealed record ResultQuery
{
    /// <summary>Jobs to search.</summary>
    public required IReadOnlyList<string> JobIds { get; init; }

    /// <summary>Result type.</summary>
    public required string ResultType { get; init; }

    /// <summary>Only results at or after this time (ms).</summary>
    public long? Start { get; init; }

    /// <summary>Only results before this time (ms).</summary>
    public long? End { get; init; }

    /// <summary>Only this exact timestamp (ms).</summary>
    public long? Timestamp { get; init; }

    /// <summary>Only results whose score is at least this.</summary>
    public double? MinScore { get; init; }

    /// <summary>Leave interim results out.</summary>
    public bool ExcludeInterim { get; init; }

    /// <summary>Extra equality filters on document fields (e.g. influencer_field_name).</summary>
    public IReadOnlyDictionary<string, string>? FieldEquals { get; init; }

    /// <summary>Sort field: <c>timestamp</c>, <c>score</c>, or a numeric/string field of the document.</summary>
    public string SortField { get; init; } = "timestamp";

    /// <summary>Descending sort.</summary>
    public bool Descending { get; init; }

    /// <summary>Paging: results to skip.</summary>
    public int From { get; init; }

    /// <summary>Paging: page size.</summary>
    public int Size { get; init; } = 100;
}

/// <summary>A page of results and the total count of matches.</summary>
public sealed record ResultPage(long Total, IReadOnlyList<ResultRow> Rows);
