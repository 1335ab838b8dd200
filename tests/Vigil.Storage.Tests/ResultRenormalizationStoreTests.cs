using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Vigil.Storage.Sqlite;

namespace Vigil.Storage.Tests;

public sealed class ResultRenormalizationStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static ResultRow Row(string type, string id, long ts, double score, bool interim = false, int? feature = null, int? scope = null,
        int? family = null) =>
        new(type, id, ts, score, interim, Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\",\"score\":{score.ToString(CultureInfo.InvariantCulture)}}}"),
            feature, scope, family);

    private static async Task<List<ResultRow>> ReadAllAsync(IResultStore store, string job, string type, long start, long end)
    {
        var rows = new List<ResultRow>();
        await foreach (var row in store.ReadFinalAsync(job, type, start, end))
        {
            rows.Add(row);
        }

        return rows;
    }

    [Fact]
    public async Task ReadFinal_returns_the_final_results_of_one_type_in_the_window_in_time_order_with_their_normalizer_scope()
    {
        IResultStore store = SqliteStore.Open(_dir);
        await store.WriteAsync("job", [
            Row("record", "r3", 3000, 30, feature: 1, scope: 7, family: 9),
            Row("record", "r1", 1000, 10, feature: 0, scope: 2),
            Row("record", "r2", 2000, 20, interim: true, feature: 0, scope: 2),
            Row("record", "r4", 4000, 40, feature: 0, scope: 2),
            Row("influencer", "i1", 1000, 10, scope: 5, family: 3),
            Row("bucket", "b1", 1000, 10),
        ], replaceInterim: false);
        await store.WriteAsync("other", [Row("record", "r1", 1000, 10, feature: 0, scope: 2)], replaceInterim: false);

        var records = await ReadAllAsync(store, "job", "record", 1000, 4000);

        Assert.Equal(["r1", "r3"], records.ConvertAll(r => r.Id));
        Assert.Equal((int?)0, records[0].NormalizerFeature);
        Assert.Equal((int?)2, records[0].NormalizerScope);
        Assert.Equal((int?)1, records[1].NormalizerFeature);
        Assert.Equal((int?)7, records[1].NormalizerScope);
        Assert.Null(records[0].NormalizerFamily);
        Assert.Equal((int?)9, records[1].NormalizerFamily);
        Assert.Equal(30, records[1].Score);
        var influencer = Assert.Single(await ReadAllAsync(store, "job", "influencer", 0, 5000));
        Assert.Null(influencer.NormalizerFeature);
        Assert.Equal((int?)5, influencer.NormalizerScope);
        Assert.Equal((int?)3, influencer.NormalizerFamily);
        Assert.Null(Assert.Single(await ReadAllAsync(store, "job", "bucket", 0, 5000)).NormalizerScope);
    }

    [Fact]
    public async Task UpdateScores_replaces_score_and_document_of_final_results_only()
    {
        IResultStore store = SqliteStore.Open(_dir);
        await store.WriteAsync("job", [
            Row("record", "r1", 1000, 80, feature: 0, scope: 0),
            Row("record", "r2", 2000, 70, feature: 0, scope: 0),
            Row("record", "r3", 3000, 60, interim: true, feature: 0, scope: 0),
        ], replaceInterim: false);

        var updated = await store.UpdateScoresAsync("job", [
            new ScoreUpdate("record", "r1", 12.5, "{\"id\":\"r1\",\"score\":12.5}"u8.ToArray()),
            new ScoreUpdate("record", "r3", 1, "{\"id\":\"r3\",\"score\":1}"u8.ToArray()),
            new ScoreUpdate("record", "missing", 1, "{}"u8.ToArray()),
        ]);

        Assert.Equal(1, updated);
        var page = await store.QueryAsync(new ResultQuery { JobIds = ["job"], ResultType = "record", SortField = "score" });
        Assert.Equal(["r1", "r3", "r2"], page.Rows.Select(r => r.Id));
        Assert.Equal(12.5, page.Rows[0].Score);
        Assert.Equal("{\"id\":\"r1\",\"score\":12.5}", Encoding.UTF8.GetString(page.Rows[0].Document));
        Assert.Equal(60, page.Rows[1].Score);
        var above = await store.QueryAsync(new ResultQuery { JobIds = ["job"], ResultType = "record", MinScore = 50 });
        Assert.Equal(["r2", "r3"], above.Rows.Select(r => r.Id));
    }

    [Fact]
    public async Task A_version_2_database_migrates_and_keeps_its_results_without_a_normalizer_scope()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "vigil.db");
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            foreach (var (version, script) in SqliteStore.Migrations())
            {
                if (version > 2)
                {
                    break;
                }

                using var command = connection.CreateCommand();
                command.CommandText = script + $"\nPRAGMA user_version = {version.ToString(CultureInfo.InvariantCulture)};";
                command.ExecuteNonQuery();
            }

            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO results (job_id, result_type, id, timestamp, score, is_interim, document)
                VALUES ('job', 'record', 'old', 1000, 55, 0, '{"record_score":55}')
                """;
            insert.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var store = SqliteStore.Open(_dir);

        Assert.True(store.SchemaVersion >= 3);
        var old = Assert.Single(await ReadAllAsync(store, "job", "record", 0, 2000));
        Assert.Equal("old", old.Id);
        Assert.Null(old.NormalizerFeature);
        Assert.Null(old.NormalizerScope);
        Assert.Null(old.NormalizerFamily);
        Assert.Equal("{\"record_score\":55}", Encoding.UTF8.GetString(old.Document));
    }
}
