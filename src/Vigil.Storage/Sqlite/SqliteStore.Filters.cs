namespace Vigil.Storage.Sqlite;

/// <summary>The <see cref="IFilterStore"/> part of the embedded store (table <c>filters</c>, migration 0004).</summary>
public sealed partial class SqliteStore : IFilterStore
{
    /// <inheritdoc />
    public async Task<bool> TryCreateFilterAsync(string filterId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO filters (filter_id, content, updated_at) VALUES ($id, $content, $now) ON CONFLICT (filter_id) DO NOTHING";
        command.Parameters.AddWithValue("$id", filterId);
        command.Parameters.AddWithValue("$content", content.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetFilterAsync(string filterId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM filters WHERE filter_id = $id";
        command.Parameters.AddWithValue("$id", filterId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListFiltersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT filter_id, content FROM filters ORDER BY filter_id";
        return await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateFilterAsync(string filterId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE filters SET content = $content, updated_at = $now WHERE filter_id = $id";
        command.Parameters.AddWithValue("$id", filterId);
        command.Parameters.AddWithValue("$content", content.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteFilterAsync(string filterId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM filters WHERE filter_id = $id";
        command.Parameters.AddWithValue("$id", filterId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
