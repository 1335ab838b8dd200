using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Vigil.Storage.Sqlite;

/// <summary>The <see cref="ICalendarStore"/> part of the embedded store (tables <c>calendars</c> and <c>calendar_events</c>, migration 0006).</summary>
public sealed partial class SqliteStore : ICalendarStore
{
    /// <inheritdoc />
    public async Task<bool> TryCreateCalendarAsync(string calendarId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO calendars (calendar_id, content, updated_at) VALUES ($id, $content, $now) ON CONFLICT (calendar_id) DO NOTHING";
        command.Parameters.AddWithValue("$id", calendarId);
        command.Parameters.AddWithValue("$content", content.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<byte[]?> GetCalendarAsync(string calendarId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT content FROM calendars WHERE calendar_id = $id";
        command.Parameters.AddWithValue("$id", calendarId);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredDocument>> ListCalendarsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT calendar_id, content FROM calendars ORDER BY calendar_id";
        return await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> UpdateCalendarAsync(string calendarId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE calendars SET content = $content, updated_at = $now WHERE calendar_id = $id";
        command.Parameters.AddWithValue("$id", calendarId);
        command.Parameters.AddWithValue("$content", content.ToArray());
        command.Parameters.AddWithValue("$now", Now());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteCalendarAsync(string calendarId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var deleteEvents = connection.CreateCommand();
        deleteEvents.Transaction = transaction;
        deleteEvents.CommandText = "DELETE FROM calendar_events WHERE calendar_id = $id";
        deleteEvents.Parameters.AddWithValue("$id", calendarId);
        await deleteEvents.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var deleteCalendar = connection.CreateCommand();
        deleteCalendar.Transaction = transaction;
        deleteCalendar.CommandText = "DELETE FROM calendars WHERE calendar_id = $id";
        deleteCalendar.Parameters.AddWithValue("$id", calendarId);
        var deleted = await deleteCalendar.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public async Task<bool> AddEventsAsync(string calendarId, IReadOnlyList<StoredCalendarEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var exists = connection.CreateCommand())
        {
            exists.Transaction = transaction;
            exists.CommandText = "SELECT 1 FROM calendars WHERE calendar_id = $id";
            exists.Parameters.AddWithValue("$id", calendarId);
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                return false;
            }
        }

        foreach (var e in events)
        {
            if (e.CalendarId != calendarId)
            {
                throw new ArgumentException($"event [{e.EventId}] belongs to calendar [{e.CalendarId}], not [{calendarId}]", nameof(events));
            }

            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO calendar_events (event_id, calendar_id, start_ms, end_ms, content, updated_at)
                VALUES ($id, $calendar, $start, $end, $content, $now)
                """;
            insert.Parameters.AddWithValue("$id", e.EventId);
            insert.Parameters.AddWithValue("$calendar", calendarId);
            insert.Parameters.AddWithValue("$start", e.StartMs);
            insert.Parameters.AddWithValue("$end", e.EndMs);
            insert.Parameters.AddWithValue("$content", e.Content);
            insert.Parameters.AddWithValue("$now", Now());
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredCalendarEvent>> ListEventsAsync(IReadOnlyCollection<string>? calendarIds = null,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder("SELECT event_id, calendar_id, start_ms, end_ms, content FROM calendar_events");
        if (calendarIds is not null)
        {
            if (calendarIds.Count == 0)
            {
                return [];
            }

            sql.Append(" WHERE calendar_id IN (");
            var i = 0;
            foreach (var id in calendarIds)
            {
                var name = "$c" + i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? name : ", " + name);
                command.Parameters.AddWithValue(name, id);
                i++;
            }

            sql.Append(')');
        }

        sql.Append(" ORDER BY start_ms, event_id");
        command.CommandText = sql.ToString();
        var result = new List<StoredCalendarEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(ReadEvent(reader));
        }

        return result;
    }

    /// <inheritdoc />
    public async Task<StoredCalendarEvent?> GetEventAsync(string eventId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT event_id, calendar_id, start_ms, end_ms, content FROM calendar_events WHERE event_id = $id";
        command.Parameters.AddWithValue("$id", eventId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadEvent(reader) : null;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteEventAsync(string eventId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM calendar_events WHERE event_id = $id";
        command.Parameters.AddWithValue("$id", eventId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static StoredCalendarEvent ReadEvent(SqliteDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), (byte[])reader.GetValue(4));
}
