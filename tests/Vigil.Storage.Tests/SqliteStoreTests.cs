using System.Text;
using Vigil.Storage.Sqlite;

namespace Vigil.Storage.Tests;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Open_applies_every_migration_and_records_the_schema_version()
    {
        var store = SqliteStore.Open(_dir);

        Assert.True(File.Exists(Path.Combine(_dir, "vigil.db")));
        Assert.Equal(SqliteStore.Migrations()[^1].Version, store.SchemaVersion);
    }

    [Fact]
    public async Task Jobs_survive_reopening_the_store()
    {
        var first = SqliteStore.Open(_dir);
        Assert.True(await first.TryCreateAsync("b-job", Encoding.UTF8.GetBytes("{\"b\":1}")));
        Assert.True(await first.TryCreateAsync("a-job", Encoding.UTF8.GetBytes("{\"a\":1}")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var second = SqliteStore.Open(_dir);
        var jobs = await second.ListAsync();

        Assert.Equal(["a-job", "b-job"], jobs.Select(j => j.Id));
        Assert.Equal("{\"b\":1}", Encoding.UTF8.GetString((await second.GetAsync("b-job"))!));
    }

    [Fact]
    public async Task Creating_an_existing_job_stores_nothing_and_reports_false()
    {
        var store = SqliteStore.Open(_dir);
        Assert.True(await store.TryCreateAsync("job", "{\"v\":1}"u8.ToArray()));

        Assert.False(await store.TryCreateAsync("job", "{\"v\":2}"u8.ToArray()));
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString((await store.GetAsync("job"))!));
    }

    [Fact]
    public async Task Update_and_delete_report_whether_the_job_existed()
    {
        var store = SqliteStore.Open(_dir);
        Assert.False(await store.UpdateAsync("missing", "{}"u8.ToArray()));
        Assert.False(await store.DeleteAsync("missing"));

        await store.TryCreateAsync("job", "{}"u8.ToArray());
        Assert.True(await store.UpdateAsync("job", "{\"x\":1}"u8.ToArray()));
        Assert.Equal("{\"x\":1}", Encoding.UTF8.GetString((await store.GetAsync("job"))!));
        Assert.True(await store.DeleteAsync("job"));
        Assert.Null(await store.GetAsync("job"));
    }

    [Fact]
    public async Task Deleting_a_job_deletes_its_documents()
    {
        var store = SqliteStore.Open(_dir);
        IJobDocumentStore documents = store;
        await store.TryCreateAsync("job", "{}"u8.ToArray());
        await documents.PutAsync("job", JobDocumentKinds.DataCounts, "{\"n\":1}"u8.ToArray());

        await store.DeleteAsync("job");

        Assert.Null(await documents.GetAsync("job", JobDocumentKinds.DataCounts));
    }

    [Fact]
    public async Task Documents_are_replaced_and_written_together()
    {
        var store = SqliteStore.Open(_dir);
        IJobDocumentStore documents = store;
        await documents.PutAsync("job", JobDocumentKinds.DataCounts, "{\"n\":1}"u8.ToArray());
        await documents.PutManyAsync("job", [
            new(JobDocumentKinds.DataCounts, "{\"n\":2}"u8.ToArray()),
            new(JobDocumentKinds.Task, "{\"state\":\"opened\"}"u8.ToArray()),
        ]);

        Assert.Equal("{\"n\":2}", Encoding.UTF8.GetString((await documents.GetAsync("job", JobDocumentKinds.DataCounts))!));
        var tasks = await documents.ListByKindAsync(JobDocumentKinds.Task);
        Assert.Equal("job", Assert.Single(tasks).Id);
        Assert.True(await documents.DeleteAsync("job", JobDocumentKinds.Task));
        Assert.False(await documents.DeleteAsync("job", JobDocumentKinds.Task));
    }
}
