using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Vigil.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in the node's data directory, holding jobs and their documents.
/// </summary>
/// <remarks>
/// Schema migrations are the embedded <c>Migrations/NNNN_name.sql</c> scripts, applied in order at start
/// inside one transaction each; <c>PRAGMA user_version</c> records the last one applied. The database runs
/// in WAL mode with <c>synchronous=FULL</c>, so a write that returned is on disk even if the process dies.
/// </remarks>
public sealed partial class SqliteStore : IJobStore, IJobDocumentStore
{
    private readonly string _connectionString;

    private SqliteStore(string connectionString) => _connectionString = connectionString;

    /// <summary>Path of the database file.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/> and migrates it.</summary>
    public static SqliteStore Open(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.GetFullPath(Path.Combine(dataDirectory, "vigil.db"));
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var store = new SqliteStore(builder.ToString()) { DatabasePath = path };
        store.Migrate();
        return store;
    }

    /// <summary>The schema version after migration (number of the last script applied).</summary>
    public int SchemaVersion
    {
        get
        {
            using var connection = OpenConnection();
            return ReadUserVersion(connection);
        }
    }

    /// <inheritdoc />
    public async Task<bool> TryCreateAsync(string jobId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO jobs (job_id, config, updated_at) VALUES ($id, $config, $now) ON CONFLICT (job_id) DO NOTHING";
        command.Parameters.AddWithValue("$id", jobId);
        command.Parameters.AddWithValue("$config", config.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT config FROM jobs WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", jobId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id, config FROM jobs ORDER BY job_id";
        return await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateAsync(string jobId, ReadOnlyMemory<byte> config, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE jobs SET config = $config, updated_at = $now WHERE job_id = $id";
        command.Parameters.AddWithValue("$id", jobId);
        command.Parameters.AddWithValue("$config", config.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var deleteDocuments = connection.CreateCommand();
        deleteDocuments.Transaction = transaction;
        deleteDocuments.CommandText = "DELETE FROM job_documents WHERE job_id = $id";
        deleteDocuments.Parameters.AddWithValue("$id", jobId);
        await deleteDocuments.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var deleteResults = connection.CreateCommand();
        deleteResults.Transaction = transaction;
        deleteResults.CommandText = "DELETE FROM results WHERE job_id = $id; DELETE FROM categories WHERE job_id = $id;";
        deleteResults.Parameters.AddWithValue("$id", jobId);
        await deleteResults.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var deleteJob = connection.CreateCommand();
        deleteJob.Transaction = transaction;
        deleteJob.CommandText = "DELETE FROM jobs WHERE job_id = $id";
        deleteJob.Parameters.AddWithValue("$id", jobId);
        var deleted = await deleteJob.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public Task PutAsync(string jobId, string kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        PutManyAsync(jobId, [new KeyValuePair<string, ReadOnlyMemory<byte>>(kind, content)], cancellationToken);

    /// <inheritdoc />
    public async Task PutManyAsync(string jobId, IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> documents, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (kind, content) in documents)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO job_documents (job_id, kind, content, updated_at) VALUES ($id, $kind, $content, $now)
                ON CONFLICT (job_id, kind) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at
                """;
            command.Parameters.AddWithValue("$id", jobId);
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$content", content.ToArray());
            command.Parameters.AddWithValue("$now", Now());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetAsync(string jobId, string kind, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM job_documents WHERE job_id = $id AND kind = $kind";
        command.Parameters.AddWithValue("$id", jobId);
        command.Parameters.AddWithValue("$kind", kind);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    async Task<bool> IJobDocumentStore.DeleteAsync(string jobId, string kind, CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM job_documents WHERE job_id = $id AND kind = $kind";
        command.Parameters.AddWithValue("$id", jobId);
        command.Parameters.AddWithValue("$kind", kind);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListByKindAsync(string kind, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id, content FROM job_documents WHERE kind = $kind ORDER BY job_id";
        command.Parameters.AddWithValue("$kind", kind);
        return await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<StoredDocument>> ReadDocumentsAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<StoredDocument>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(new StoredDocument(reader.GetString(0), (byte[])reader.GetValue(1)));
        }

        return result;
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Configure(connection);
        return connection;
    }

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        Configure(connection);
        return connection;
    }

    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
        command.ExecuteNonQuery();
    }

    private static int ReadUserVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Migrate()
    {
        using var connection = OpenConnection();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL";
            wal.ExecuteNonQuery();
        }

        var current = ReadUserVersion(connection);
        foreach (var (version, script) in Migrations())
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = script + $"\nPRAGMA user_version = {version.ToString(CultureInfo.InvariantCulture)};";
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    /// <summary>The embedded migration scripts, ordered by version.</summary>
    internal static IReadOnlyList<(int Version, string Script)> Migrations()
    {
        var assembly = typeof(SqliteStore).Assembly;
        var scripts = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            const string marker = ".Migrations.";
            var at = name.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !name.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = name[(at + marker.Length)..];
            var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, reader.ReadToEnd()));
        }

        scripts.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return scripts;
    }
}
