using System.Text;
using Vigil.Storage.Sqlite;

namespace Vigil.Storage.Tests;

public sealed class FilterStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-filters-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Filters_are_created_once_listed_by_id_updated_deleted_and_survive_reopening()
    {
        var first = SqliteStore.Open(_dir);
        Assert.True(await first.TryCreateFilterAsync("b-filter", Encoding.UTF8.GetBytes("{\"b\":1}")));
        Assert.True(await first.TryCreateFilterAsync("a-filter", Encoding.UTF8.GetBytes("{\"a\":1}")));
        Assert.False(await first.TryCreateFilterAsync("a-filter", Encoding.UTF8.GetBytes("{\"a\":2}")));
        Assert.True(await first.UpdateFilterAsync("b-filter", Encoding.UTF8.GetBytes("{\"b\":2}")));
        Assert.False(await first.UpdateFilterAsync("missing", Encoding.UTF8.GetBytes("{}")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var second = SqliteStore.Open(_dir);
        Assert.Equal(["a-filter", "b-filter"], (await second.ListFiltersAsync()).Select(f => f.Id));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString((await second.GetFilterAsync("a-filter"))!));
        Assert.Equal("{\"b\":2}", Encoding.UTF8.GetString((await second.GetFilterAsync("b-filter"))!));
        Assert.True(await second.DeleteFilterAsync("a-filter"));
        Assert.False(await second.DeleteFilterAsync("a-filter"));
        Assert.Null(await second.GetFilterAsync("a-filter"));
    }
}
