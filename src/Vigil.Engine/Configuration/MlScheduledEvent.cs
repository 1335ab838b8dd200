using System.Globalization;
using System.Text.Json;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>A scheduled event of a calendar (<c>POST _ml/calendars/&lt;calendar_id&gt;/events</c>).</summary>
/// <remarks>
/// Implementation note (mirrors ES <c>ScheduledEvent</c> and <c>PostCalendarEventsAction.Request</c>): times are epoch
/// milliseconds as a number, or a string read by <c>TimeUtils.dateStringToEpoch</c> (all digits: epoch seconds up to 10
/// characters, milliseconds beyond; otherwise ISO-8601; anything unreadable becomes −1, as ES does);
/// <c>skip_result</c> and <c>skip_model_update</c> default to true; the start must come before the end. The JSON is
/// <c>description</c>, <c>start_time</c>, <c>end_time</c>, <c>skip_result</c>, <c>skip_model_update</c>,
/// <c>force_time_shift</c> (when set), <c>calendar_id</c>, <c>event_id</c> (when known).
/// </remarks>
/// <param name="Description">What the event is.</param>
/// <param name="StartMs">Start, epoch ms.</param>
/// <param name="EndMs">End (exclusive), epoch ms.</param>
/// <param name="SkipResult">Buckets the event covers produce no results.</param>
/// <param name="SkipModelUpdate">Models do not learn from buckets the event covers.</param>
/// <param name="ForceTimeShift">Seconds to shift time by at the event's start, or null.</param>
/// <param name="CalendarId">The calendar the event belongs to.</param>
/// <param name="EventId">The event id (the stored document's id), or null before it is stored.</param>
public sealed record MlScheduledEvent(string Description, long StartMs, long EndMs, bool SkipResult, bool SkipModelUpdate,
    int? ForceTimeShift, string CalendarId, string? EventId)
{
    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HHK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd", "yyyy-MM", "yyyy",
    ];

    /// <summary>
    /// Parses the body of <c>POST _ml/calendars/&lt;calendar_id&gt;/events</c>: every event (strict), each taking the
    /// calendar id of the URL.
    /// </summary>
    /// <exception cref="ElasticsearchException">A parse error, an event naming another calendar, a missing field, an end
    /// not after the start, or no event at all (ES's messages).</exception>
    public static List<MlScheduledEvent> ParsePost(ReadOnlySpan<byte> json, string calendarId)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        List<Builder> builders = [];
        x.ParseObject(root, "cluster:admin/xpack/ml/calendars/events/post",
        [
            new("events", VType.ObjectArray, v => builders.AddRange(x.ParseObjectArray(v, item => ParseBuilder(x, item)))),
        ]);
        foreach (var b in builders)
        {
            if (b.CalendarId is not null && b.CalendarId != calendarId)
            {
                throw Messages.BadRequest(
                    $"Inconsistent calendar_id; '{b.CalendarId}' specified in the body differs from '{calendarId}' specified as a URL argument");
            }

            b.CalendarId = calendarId;
        }

        var events = new List<MlScheduledEvent>(builders.Count);
        foreach (var b in builders)
        {
            events.Add(b.Build(eventId: null));
        }

        if (events.Count == 0)
        {
            throw Messages.BadRequest("At least 1 event is required");
        }

        return events;
    }

    /// <summary>Parses an event as stored (lenient), giving it its id.</summary>
    public static MlScheduledEvent ParseStored(ReadOnlySpan<byte> json, string eventId)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json, ignoreUnknownFields: true);
        return ParseBuilder(x, root).Build(eventId);
    }

    /// <summary>The same event with an id.</summary>
    public MlScheduledEvent WithId(string eventId) => this with { EventId = eventId };

    /// <summary>The event as the analysis applies it.</summary>
    public Pipeline.ScheduledEventSpec ToSpec() => new(Description, StartMs, EndMs, SkipResult, SkipModelUpdate, ForceTimeShift);

    /// <summary>Writes the event as the APIs return it (<c>human</c> adds <c>start_time_string</c> and <c>end_time_string</c>).</summary>
    public void Write(Utf8JsonWriter writer, bool human = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("description", Description);
        WriteTime(writer, human, "start_time", StartMs);
        WriteTime(writer, human, "end_time", EndMs);
        writer.WriteBoolean("skip_result", SkipResult);
        writer.WriteBoolean("skip_model_update", SkipModelUpdate);
        if (ForceTimeShift is { } shift)
        {
            writer.WriteNumber("force_time_shift", shift);
        }

        writer.WriteString("calendar_id", CalendarId);
        if (EventId is not null)
        {
            writer.WriteString("event_id", EventId);
        }

        writer.WriteEndObject();
    }

    /// <summary>Java <c>Instant.toString</c> of epoch milliseconds (as ES words times in its messages).</summary>
    public static string JavaInstant(long epochMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime;
        return t.Millisecond == 0
            ? t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>ES <c>TimeUtils.dateStringToEpoch</c>: epoch seconds or ms, or an ISO-8601 date; −1 when unreadable.</summary>
    public static long DateStringToEpochMs(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var epoch))
        {
            return text.Trim().Length <= 10 ? epoch * 1000 : epoch;
        }

        return TryParseIsoMs(text, out var ms) ? ms : -1;
    }

    /// <summary>Reads an ISO-8601 date (<c>strict_date_optional_time</c>; no zone means UTC) as epoch milliseconds.</summary>
    public static bool TryParseIsoMs(string text, out long epochMs)
    {
        if (DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            epochMs = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        epochMs = 0;
        return false;
    }

    private static void WriteTime(Utf8JsonWriter writer, bool human, string name, long epochMs)
    {
        if (human)
        {
            writer.WriteString(name + "_string", DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        writer.WriteNumber(name, epochMs);
    }

    private static Builder ParseBuilder(XContent x, JNode node)
    {
        var b = new Builder();
        x.ParseObject(node, "scheduled_event",
        [
            new("description", VType.String, v => b.Description = v.Text),
            new("start_time", VType.Value, v => b.StartMs = ParseTime(v, "start_time")),
            new("end_time", VType.Value, v => b.EndMs = ParseTime(v, "end_time")),
            new("skip_result", VType.Boolean, v => b.SkipResult = XContent.AsBool(v)),
            new("skip_model_update", VType.Boolean, v => b.SkipModelUpdate = XContent.AsBool(v)),
            new("force_time_shift", VType.Number, v => b.ForceTimeShift = XContent.AsInt(v)),
            new("calendar_id", VType.String, v => b.CalendarId = v.Text),
            new("type", VType.String, _ => { }),
        ]);
        return b;
    }

    /// <summary>ES <c>TimeUtils.parseTimeFieldToInstant</c>.</summary>
    private static long ParseTime(JNode value, string field) => value.Kind switch
    {
        JKind.Number => XContent.AsLong(value),
        JKind.String => DateStringToEpochMs(value.Text),
        _ => throw ElasticsearchException.IllegalArgument($"unexpected token [{value.TokenName}] for [{field}]"),
    };

    private sealed class Builder
    {
        public string? Description { get; set; }

        public long? StartMs { get; set; }

        public long? EndMs { get; set; }

        public bool? SkipResult { get; set; }

        public bool? SkipModelUpdate { get; set; }

        public int? ForceTimeShift { get; set; }

        public string? CalendarId { get; set; }

        public MlScheduledEvent Build(string? eventId)
        {
            var description = Description ?? throw Messages.BadRequest("Field [description] cannot be null.");
            var start = StartMs ?? throw Messages.BadRequest("Field [start_time] cannot be null.");
            var end = EndMs ?? throw Messages.BadRequest("Field [end_time] cannot be null.");
            var calendarId = CalendarId ?? throw Messages.BadRequest("Field [calendar_id] cannot be null.");
            if (start >= end)
            {
                throw Messages.BadRequest($"Event start time [{JavaInstant(start)}] must come before end time [{JavaInstant(end)}]");
            }

            return new MlScheduledEvent(description, start, end, SkipResult ?? true, SkipModelUpdate ?? true, ForceTimeShift,
                calendarId, eventId);
        }
    }
}
