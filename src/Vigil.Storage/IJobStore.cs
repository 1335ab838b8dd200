namespace Vigil.Storage;

/// <summary>Stores anomaly-detection job configurations, as the JSON documents the engine writes.</summary>
/// <remarks>
/// The store does not interpret the configuration: it keeps bytes keyed by job id, so that the SQLite store
/// (single node) and a PostgreSQL store (cluster, later) satisfy the same contract.
/// </remarks>
public interface IJobStore
{
    /// <summary>Stores a new job. Returns false, storing nothing, when a job with that id exists.</summary>
    Task<bool> TryCreateAsync(string jobId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken = default);

    /// <summary>The job's configuration, or null when there is no such job.</summary>
    Task<byte[]?> GetAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>All jobs, ordered by job id.</summary>
    Task<IReadOnlyList<StoredDocument>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces an existing job's configuration. Returns false when there is no such job.</summary>
    Task<bool> UpdateAsync(string jobId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken = default);

    /// <summary>Deletes a job with every document and result kept for it. Returns false when there was no such job.</summary>
    Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default);
}

/// <summary>A stored document and its key.</summary>
/// <param name="Id">The key (a job id).</param>
/// <param name="Content">The document's bytes (UTF-8 JSON for configurations).</param>
public sealed record StoredDocument(string Id, byte[] Content);
