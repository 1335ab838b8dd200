using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Vigil.Storage.Sqlite;

/// <summary>The category definitions part of the embedded store (migration 0007).</summary>
public sealed partial class SqliteStore
{
    /// <inheritdoc />
    public async Task UpsertCategoriesAsync(string jobId, IReadOnlyList<CategoryRow> categories, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count == 0)
        {
            return;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var upsert = connection.CreateCommand();
        upsert.Transaction = transaction;
        upsert.CommandText = """
            INSERT INTO categories (job_id, category_id, partition_value, document) VALUES ($job, $id, $partition, $doc)
            ON CONFLICT (job_id, category_id) DO UPDATE SET partition_value = excluded.partition_value, document = excluded.document
            """;
        upsert.Parameters.AddWithValue("$job", jobId);
        var id = upsert.Parameters.Add("$id", SqliteType.Integer);
        var partition = upsert.Parameters.Add("$partition", SqliteType.Text);
        var doc = upsert.Parameters.Add("$doc", SqliteType.Text);
        foreach (var c in categories)
        {
            id.Value = c.CategoryId;
            partition.Value = c.PartitionValue is { } p ? p : DBNull.Value;
            doc.Value = Encoding.UTF8.GetString(c.Document);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CategoryPage> QueryCategoriesAsync(string jobId, long? categoryId, string? partitionValue, int from, int size,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var count = connection.CreateCommand();
        await using var select = connection.CreateCommand();
        var where = new StringBuilder("job_id = $job");
        foreach (var command in new[] { count, select })
        {
            command.Parameters.AddWithValue("$job", jobId);
            if (categoryId is { } cid)
            {
                command.Parameters.AddWithValue("$id", cid);
            }

            if (partitionValue is not null)
            {
                command.Parameters.AddWithValue("$partition", partitionValue);
            }
        }

        if (categoryId is not null)
        {
            where.Append(" AND category_id = $id");
        }

        if (partitionValue is not null)
        {
            where.Append(" AND partition_value = $partition");
        }

        count.CommandText = $"SELECT COUNT(*) FROM categories WHERE {where}";
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        select.CommandText = $"SELECT category_id, partition_value, document FROM categories WHERE {where} ORDER BY category_id LIMIT $size OFFSET $from";
        select.Parameters.AddWithValue("$size", size);
        select.Parameters.AddWithValue("$from", from);
        var rows = new List<CategoryRow>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new CategoryRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), Encoding.UTF8.GetBytes(reader.GetString(2))));
        }

        return new CategoryPage(total, rows);
    }
}
