namespace Vigil.Storage;

/// <summary>Stores ML filters (<c>_ml/filters</c>) as the JSON documents the engine writes, keyed by filter id.</summary>
public interface IFilterStore
{
    /// <summary>Stores a new filter. Returns false, storing nothing, when a filter with that id exists.</summary>
    Task<bool> TryCreateFilterAsync(string filterId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>The filter's document, or null when there is no such filter.</summary>
    Task<byte[]?> GetFilterAsync(string filterId, CancellationToken cancellationToken = default);

    /// <summary>All filters, ordered by filter id (ordinal).</summary>
    Task<IReadOnlyList<StoredDocument>> ListFiltersAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces an existing filter. Returns false when there is no such filter.</summary>
    Task<bool> UpdateFilterAsync(string filterId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Deletes a filter. Returns false when there was no such filter.</summary>
    Task<bool> DeleteFilterAsync(string filterId, CancellationToken cancellationToken = default);
}
