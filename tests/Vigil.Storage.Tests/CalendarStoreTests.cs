using System.Text;
using Vigil.Storage.Sqlite;

namespace Vigil.Storage.Tests;

public sealed class CalendarStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-calendars-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static StoredCalendarEvent Event(string id, string calendar, long start, long end) =>
        new(id, calendar, start, end, Json($"{{\"event\":\"{id}\"}}"));

    [Fact]
    public async Task Calendars_are_created_once_listed_by_id_updated_and_survive_reopening()
    {
        var first = SqliteStore.Open(_dir);
        Assert.True(first.SchemaVersion >= 6);
        Assert.True(await first.TryCreateCalendarAsync("b-cal", Json("{\"b\":1}")));
        Assert.True(await first.TryCreateCalendarAsync("a-cal", Json("{\"a\":1}")));
        Assert.False(await first.TryCreateCalendarAsync("a-cal", Json("{\"a\":2}")));
        Assert.True(await first.UpdateCalendarAsync("b-cal", Json("{\"b\":2}")));
        Assert.False(await first.UpdateCalendarAsync("missing", Json("{}")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var second = SqliteStore.Open(_dir);
        Assert.Equal(["a-cal", "b-cal"], (await second.ListCalendarsAsync()).Select(c => c.Id));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString((await second.GetCalendarAsync("a-cal"))!));
        Assert.Equal("{\"b\":2}", Encoding.UTF8.GetString((await second.GetCalendarAsync("b-cal"))!));
        Assert.Null(await second.GetCalendarAsync("missing"));
    }

    [Fact]
    public async Task Events_are_listed_by_start_filtered_by_calendar_and_survive_reopening()
    {
        var first = SqliteStore.Open(_dir);
        await first.TryCreateCalendarAsync("a-cal", Json("{}"));
        await first.TryCreateCalendarAsync("b-cal", Json("{}"));
        Assert.True(await first.AddEventsAsync("a-cal", [Event("e3", "a-cal", 3000, 4000), Event("e1", "a-cal", 1000, 2000)]));
        Assert.True(await first.AddEventsAsync("b-cal", [Event("e2", "b-cal", 2000, 5000)]));
        Assert.False(await first.AddEventsAsync("missing", [Event("e9", "missing", 1, 2)]));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var second = SqliteStore.Open(_dir);
        Assert.Equal(["e1", "e2", "e3"], (await second.ListEventsAsync()).Select(e => e.EventId));
        Assert.Equal(["e1", "e3"], (await second.ListEventsAsync(["a-cal"])).Select(e => e.EventId));
        Assert.Empty(await second.ListEventsAsync([]));
        var e2 = await second.GetEventAsync("e2");
        Assert.NotNull(e2);
        Assert.Equal(("b-cal", 2000L, 5000L, "{\"event\":\"e2\"}"), (e2.CalendarId, e2.StartMs, e2.EndMs, Encoding.UTF8.GetString(e2.Content)));
        Assert.Null(await second.GetEventAsync("e9"));
        Assert.True(await second.DeleteEventAsync("e3"));
        Assert.False(await second.DeleteEventAsync("e3"));
        Assert.Equal(["e1"], (await second.ListEventsAsync(["a-cal"])).Select(e => e.EventId));
    }

    [Fact]
    public async Task Deleting_a_calendar_deletes_its_events_only()
    {
        var store = SqliteStore.Open(_dir);
        await store.TryCreateCalendarAsync("a-cal", Json("{}"));
        await store.TryCreateCalendarAsync("b-cal", Json("{}"));
        await store.AddEventsAsync("a-cal", [Event("e1", "a-cal", 1000, 2000)]);
        await store.AddEventsAsync("b-cal", [Event("e2", "b-cal", 1000, 2000)]);

        Assert.True(await store.DeleteCalendarAsync("a-cal"));
        Assert.False(await store.DeleteCalendarAsync("a-cal"));
        Assert.Equal(["b-cal"], (await store.ListCalendarsAsync()).Select(c => c.Id));
        Assert.Equal(["e2"], (await store.ListEventsAsync()).Select(e => e.EventId));
    }
}
