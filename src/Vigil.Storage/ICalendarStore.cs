namespace Vigil.Storage;

/// <summary>
/// Stores ML calendars (<c>_ml/calendars</c>) and their scheduled events as the JSON documents the engine writes: calendars
/// keyed by calendar id, events by event id with their calendar and time range alongside for querying.
/// </summary>
public interface ICalendarStore
{
    /// <summary>Stores a new calendar. Returns false, storing nothing, when a calendar with that id exists.</summary>
    Task<bool> TryCreateCalendarAsync(string calendarId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>The calendar's document, or null when there is no such calendar.</summary>
    Task<byte[]?> GetCalendarAsync(string calendarId, CancellationToken cancellationToken = default);

    /// <summary>All calendars, ordered by calendar id (ordinal).</summary>
    Task<IReadOnlyList<StoredDocument>> ListCalendarsAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces an existing calendar. Returns false when there is no such calendar.</summary>
    Task<bool> UpdateCalendarAsync(string calendarId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>Deletes a calendar and all its events in one transaction. Returns false when there was no such calendar.</summary>
    Task<bool> DeleteCalendarAsync(string calendarId, CancellationToken cancellationToken = default);

    /// <summary>Stores new events of an existing calendar in one transaction. Returns false, storing nothing, when there is no such calendar.</summary>
    Task<bool> AddEventsAsync(string calendarId, IReadOnlyList<StoredCalendarEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The events of the given calendars (all calendars when null), ordered by start time, then event id.</summary>
    Task<IReadOnlyList<StoredCalendarEvent>> ListEventsAsync(IReadOnlyCollection<string>? calendarIds = null, CancellationToken cancellationToken = default);

    /// <summary>One event, or null when there is no such event.</summary>
    Task<StoredCalendarEvent?> GetEventAsync(string eventId, CancellationToken cancellationToken = default);

    /// <summary>Deletes an event. Returns false when there was no such event.</summary>
    Task<bool> DeleteEventAsync(string eventId, CancellationToken cancellationToken = default);
}

/// <summary>A stored scheduled event.</summary>
/// <param name="EventId">The event id.</param>
/// <param name="CalendarId">The calendar it belongs to.</param>
/// <param name="StartMs">Start, epoch ms.</param>
/// <param name="EndMs">End, epoch ms.</param>
/// <param name="Content">The event's JSON document.</param>
public sealed record StoredCalendarEvent(string EventId, string CalendarId, long StartMs, long EndMs, byte[] Content);
