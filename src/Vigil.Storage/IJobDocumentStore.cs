namespace Vigil.Storage;

/// <summary>
/// Per-job documents other than the configuration: data counts, model size and timing statistics, the
/// persistent task (open/closed) state, and model state. One document per (job, kind).
/// </summary>
public interface IJobDocumentStore
{
    /// <summary>Writes (inserts or replaces) a document.</summary>
    Task PutAsync(string jobId, string kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Writes several documents of one job atomically: all are stored or none.</summary>
    Task PutManyAsync(string jobId, IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> documents, CancellationToken cancellationToken = default);

    /// <summary>Reads a document, or null when absent.</summary>
    Task<byte[]?> GetAsync(string jobId, string kind, CancellationToken cancellationToken = default);

    /// <summary>Deletes one document. Returns false when it was absent.</summary>
    Task<bool> DeleteAsync(string jobId, string kind, CancellationToken cancellationToken = default);

    /// <summary>Every job id that has a document of the given kind, ordered by id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListByKindAsync(string kind, CancellationToken cancellationToken = default);
}

/// <summary>Well-known document kinds.</summary>
public static class JobDocumentKinds
{
    /// <summary>Running data counts (<c>data_counts</c> of job stats).</summary>
    public const string DataCounts = "data_counts";

    /// <summary>Latest model size statistics.</summary>
    public const string ModelSizeStats = "model_size_stats";

    /// <summary>Timing statistics.</summary>
    public const string TimingStats = "timing_stats";

    /// <summary>The job's persistent task: present while the job is opening/opened/closing/failed.</summary>
    public const string Task = "task";

    /// <summary>Serialized model state of the job's engine.</summary>
    public const string ModelState = "model_state";
}
