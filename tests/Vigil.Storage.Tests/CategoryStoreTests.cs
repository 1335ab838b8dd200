using System.Text;
using Vigil.Storage.Sqlite;

namespace Vigil.Storage.Tests;

public sealed class CategoryStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-categories-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static CategoryRow Row(long id, string? partition, string doc) => new(id, partition, Encoding.UTF8.GetBytes(doc));

    [Fact]
    public async Task Categories_are_upserted_by_id_paged_in_id_order_filtered_by_partition_and_survive_reopening()
    {
        IResultStore first = SqliteStore.Open(_dir);
        Assert.Equal(7, ((SqliteStore)first).SchemaVersion);
        await first.UpsertCategoriesAsync("job", [Row(2, "web", "{\"n\":2}"), Row(1, "db", "{\"n\":1}"), Row(3, "web", "{\"n\":3}")]);
        await first.UpsertCategoriesAsync("job", [Row(2, "web", "{\"n\":22}")]);
        await first.UpsertCategoriesAsync("other", [Row(1, null, "{\"o\":1}")]);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        IResultStore second = SqliteStore.Open(_dir);
        var all = await second.QueryCategoriesAsync("job", null, null, 0, 100);
        Assert.Equal(3, all.Total);
        Assert.Equal([1L, 2L, 3L], all.Rows.Select(r => r.CategoryId));
        Assert.Equal("{\"n\":22}", Encoding.UTF8.GetString(all.Rows[1].Document));

        var page = await second.QueryCategoriesAsync("job", null, null, 1, 1);
        Assert.Equal(3, page.Total);
        Assert.Equal(2, Assert.Single(page.Rows).CategoryId);

        var web = await second.QueryCategoriesAsync("job", null, "web", 0, 100);
        Assert.Equal([2L, 3L], web.Rows.Select(r => r.CategoryId));
        Assert.Equal(1, (await second.QueryCategoriesAsync("job", 3, null, 0, 100)).Total);
        Assert.Equal(0, (await second.QueryCategoriesAsync("job", 9, null, 0, 100)).Total);

        await second.DeleteJobAsync("job");
        Assert.Equal(0, (await second.QueryCategoriesAsync("job", null, null, 0, 100)).Total);
        Assert.Equal(1, (await second.QueryCategoriesAsync("other", null, null, 0, 100)).Total);
    }
}
