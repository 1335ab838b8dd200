using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Vigil.Storage.Sqlite;

/// <summary>The results part of the embedded store.</summary>
public sealed partial class SqliteStore : IResultStore
{
    /// <inheritdoc />
    public async Task WriteAsync(string jobId, IReadOnlyList<ResultRow> rows, bool replaceInterim, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0 && !replaceInterim)
        {
            return;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (replaceInterim)
        {
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM results WHERE job_id = $job AND is_interim = 1";
            delete.Parameters.AddWithValue("$job", jobId);
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO results (job_id, result_type, id, timestamp, score, is_interim, document, normalizer_feature, normalizer_scope,
              normalizer_family)
            VALUES ($job, $type, $id, $ts, $score, $interim, $doc, $feature, $scope, $family)
            ON CONFLICT (job_id, result_type, id) DO UPDATE SET
              timestamp = excluded.timestamp, score = excluded.score, is_interim = excluded.is_interim, document = excluded.document,
              normalizer_feature = excluded.normalizer_feature, normalizer_scope = excluded.normalizer_scope,
              normalizer_family = excluded.normalizer_family
            """;
        var job = insert.Parameters.Add("$job", SqliteType.Text);
        var type = insert.Parameters.Add("$type", SqliteType.Text);
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var ts = insert.Parameters.Add("$ts", SqliteType.Integer);
        var score = insert.Parameters.Add("$score", SqliteType.Real);
        var interim = insert.Parameters.Add("$interim", SqliteType.Integer);
        var doc = insert.Parameters.Add("$doc", SqliteType.Text);
        var feature = insert.Parameters.Add("$feature", SqliteType.Integer);
        var scope = insert.Parameters.Add("$scope", SqliteType.Integer);
        var family = insert.Parameters.Add("$family", SqliteType.Integer);
        foreach (var row in rows)
        {
            job.Value = jobId;
            type.Value = row.ResultType;
            id.Value = row.Id;
            ts.Value = row.Timestamp;
            score.Value = row.Score;
            interim.Value = row.IsInterim ? 1 : 0;
            doc.Value = Encoding.UTF8.GetString(row.Document);
            feature.Value = row.NormalizerFeature is { } f ? f : DBNull.Value;
            scope.Value = row.NormalizerScope is { } sc ? sc : DBNull.Value;
            family.Value = row.NormalizerFamily is { } n ? n : DBNull.Value;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ResultPage> QueryAsync(ResultQuery query, CancellationToken cancellationToken = default)
    {
        var where = new StringBuilder("result_type = $type AND job_id IN (");
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var count = connection.CreateCommand();
        await using var select = connection.CreateCommand();
        void Bind(string name, object value)
        {
            count.Parameters.AddWithValue(name, value);
            select.Parameters.AddWithValue(name, value);
        }

        Bind("$type", query.ResultType);
        for (var i = 0; i < query.JobIds.Count; i++)
        {
            where.Append(i == 0 ? "" : ", ").Append("$j").Append(i);
            Bind("$j" + i.ToString(CultureInfo.InvariantCulture), query.JobIds[i]);
        }

        where.Append(')');
        if (query.Start is { } start)
        {
            where.Append(" AND timestamp >= $start");
            Bind("$start", start);
        }

        if (query.End is { } end)
        {
            where.Append(" AND timestamp < $end");
            Bind("$end", end);
        }

        if (query.Timestamp is { } exact)
        {
            where.Append(" AND timestamp = $exact");
            Bind("$exact", exact);
        }

        if (query.MinScore is { } min)
        {
            where.Append(" AND score >= $min");
            Bind("$min", min);
        }

        if (query.ExcludeInterim)
        {
            where.Append(" AND is_interim = 0");
        }

        if (query.FieldEquals is { } equals)
        {
            var n = 0;
            foreach (var (field, value) in equals)
            {
                var path = JsonPath(field);
                where.Append(" AND json_extract(document, $fp").Append(n).Append(") = $fv").Append(n);
                Bind("$fp" + n.ToString(CultureInfo.InvariantCulture), path);
                Bind("$fv" + n.ToString(CultureInfo.InvariantCulture), value);
                n++;
            }
        }

        count.CommandText = $"SELECT COUNT(*) FROM results WHERE {where}";
        var total = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

        var direction = query.Descending ? "DESC" : "ASC";
        string order;
        switch (query.SortField)
        {
            case "timestamp":
                order = $"timestamp {direction}";
                break;
            case "score":
                order = $"score {direction}, timestamp {direction}";
                break;
            default:
                order = $"json_extract(document, $sort) {direction}, timestamp {direction}";
                select.Parameters.AddWithValue("$sort", JsonPath(query.SortField));
                break;
        }

        select.CommandText = $"SELECT result_type, id, timestamp, score, is_interim, document FROM results WHERE {where} ORDER BY {order}, job_id, id LIMIT $size OFFSET $from";
        select.Parameters.AddWithValue("$size", query.Size);
        select.Parameters.AddWithValue("$from", query.From);
        var rows = new List<ResultRow>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ResultRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetDouble(3),
                reader.GetInt64(4) != 0, Encoding.UTF8.GetBytes(reader.GetString(5))));
        }

        return new ResultPage(total, rows);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ResultRow> ReadFinalAsync(string jobId, string resultType, long start, long end,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var select = connection.CreateCommand();
        select.CommandText = """
            SELECT result_type, id, timestamp, score, is_interim, document, normalizer_feature, normalizer_scope, normalizer_family FROM results
            WHERE job_id = $job AND result_type = $type AND timestamp >= $start AND timestamp < $end AND is_interim = 0
            ORDER BY timestamp, id
            """;
        select.Parameters.AddWithValue("$job", jobId);
        select.Parameters.AddWithValue("$type", resultType);
        select.Parameters.AddWithValue("$start", start);
        select.Parameters.AddWithValue("$end", end);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ResultRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetDouble(3),
                reader.GetInt64(4) != 0, Encoding.UTF8.GetBytes(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetInt32(8));
        }
    }

    /// <inheritdoc />
    public async Task<int> UpdateScoresAsync(string jobId, IReadOnlyList<ScoreUpdate> updates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
        {
            return 0;
        }

        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = """
            UPDATE results SET score = $score, document = $doc
            WHERE job_id = $job AND result_type = $type AND id = $id AND is_interim = 0
            """;
        update.Parameters.AddWithValue("$job", jobId);
        var type = update.Parameters.Add("$type", SqliteType.Text);
        var id = update.Parameters.Add("$id", SqliteType.Text);
        var score = update.Parameters.Add("$score", SqliteType.Real);
        var doc = update.Parameters.Add("$doc", SqliteType.Text);
        var updated = 0;
        foreach (var u in updates)
        {
            type.Value = u.ResultType;
            id.Value = u.Id;
            score.Value = u.Score;
            doc.Value = Encoding.UTF8.GetString(u.Document);
            updated += await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <inheritdoc />
    public async Task DeleteJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM results WHERE job_id = $job; DELETE FROM categories WHERE job_id = $job;";
        command.Parameters.AddWithValue("$job", jobId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A JSON path for a document field name; names are restricted to safe characters.</summary>
    private static string JsonPath(string field)
    {
        if (!SafeField().IsMatch(field))
        {
            throw new ArgumentException($"Invalid field name [{field}]", nameof(field));
        }

        return "$.\"" + field + "\"";
    }

    [GeneratedRegex("^[A-Za-z0-9_.\\-]+$")]
    private static partial Regex SafeField();
}
