using System.Globalization;
using System.Text.Json;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// An ML calendar (<c>PUT _ml/calendars/&lt;calendar_id&gt;</c>): a named set of scheduled events that apply to the jobs
/// and job groups listed in <c>job_ids</c>.
/// </summary>
/// <remarks>
/// Implementation note (mirrors ES <c>Calendar</c> and <c>PutCalendarAction.Request</c>): the body is optional and strict
/// (its object parser is named <c>calendar_id</c>); <c>job_ids</c> may name jobs or groups that do not exist (yet), and
/// <c>_all</c> in it makes the calendar apply to every job; the JSON is <c>calendar_id</c>, <c>job_ids</c>,
/// <c>description</c> (only when set).
/// </remarks>
/// <param name="CalendarId">The calendar id.</param>
/// <param name="JobIds">Job ids and job group names, as given.</param>
/// <param name="Description">The description, or null.</param>
public sealed record MlCalendar(string CalendarId, IReadOnlyList<string> JobIds, string? Description)
{
    /// <summary>The id that stands for every calendar (and, in <c>job_ids</c>, for every job).</summary>
    public const string All = "_all";

    /// <summary>Longest calendar id (ES <c>MlStrings.ID_LENGTH_LIMIT</c>).</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// Parses the body of <c>PUT _ml/calendars/&lt;calendar_id&gt;</c> (an empty body is a calendar with no jobs) and
    /// validates the id as ES's request validation does.
    /// </summary>
    /// <exception cref="ElasticsearchException">A parse error, an id that differs from the URL's, or an invalid id.</exception>
    public static MlCalendar ParseForPut(ReadOnlySpan<byte> json, string calendarId)
    {
        var calendar = json.IsEmpty ? new MlCalendar(calendarId, [], null) : Parse(json, calendarId, strict: true);
        Validate(calendar.CalendarId);
        return calendar;
    }

    /// <summary>Parses a calendar as stored (lenient).</summary>
    public static MlCalendar ParseStored(ReadOnlySpan<byte> json) => Parse(json, null, strict: false);

    /// <summary>Whether the calendar applies to a job with this id and these groups (its <c>job_ids</c> name the job, one of
    /// its groups, or <c>_all</c>: ES <c>CalendarQueryBuilder</c>).</summary>
    public bool AppliesTo(string jobId, IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (var id in JobIds)
        {
            if (id == jobId || id == All)
            {
                return true;
            }

            foreach (var g in groups)
            {
                if (id == g)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Writes the calendar as the APIs return it.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("calendar_id", CalendarId);
        writer.WriteStartArray("job_ids");
        foreach (var id in JobIds)
        {
            writer.WriteStringValue(id);
        }

        writer.WriteEndArray();
        if (Description is not null)
        {
            writer.WriteString("description", Description);
        }

        writer.WriteEndObject();
    }

    /// <summary>ES <c>PutCalendarAction.Request.validate</c>: 400 <c>action_request_validation_exception</c> listing every problem.</summary>
    private static void Validate(string calendarId)
    {
        var errors = new List<string>();
        if (calendarId == All)
        {
            errors.Add("Cannot create a Calendar with the reserved name [_all]");
        }

        if (!JobBuilder.IsValidId(calendarId))
        {
            errors.Add(Messages.InvalidId("calendar_id", calendarId));
        }

        if (calendarId.Length > MaxIdLength)
        {
            errors.Add(Messages.JobIdTooLong);
        }

        if (errors.Count > 0)
        {
            throw ValidationFailed(errors);
        }
    }

    /// <summary>ES <c>ActionRequestValidationException</c>: <c>Validation Failed: 1: a;2: b;</c>.</summary>
    public static ElasticsearchException ValidationFailed(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var text = new System.Text.StringBuilder("Validation Failed: ");
        for (var i = 0; i < errors.Count; i++)
        {
            text.Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(": ").Append(errors[i]).Append(';');
        }

        return new ElasticsearchException("action_request_validation_exception", text.ToString(), 400);
    }

    /// <summary>
    /// Parses the body of <c>GET _ml/calendars</c> (ES <c>GetCalendarsAction.Request</c>, strict): <c>calendar_id</c> and
    /// <c>page</c> (<c>from</c>, <c>size</c>).
    /// </summary>
    public static CalendarsRequestBody ParseGetBody(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        var body = new CalendarsRequestBody();
        x.ParseObject(root, "cluster:monitor/xpack/ml/calendars/get",
        [
            new("calendar_id", VType.String, v => body.CalendarId = v.Text),
            new("page", VType.Object, v => ParsePage(x, v, body)),
        ]);
        return body;
    }

    /// <summary>
    /// Parses the body of <c>GET _ml/calendars/&lt;calendar_id&gt;/events</c> (ES <c>GetCalendarEventsAction.Request</c>,
    /// strict): <c>calendar_id</c>, <c>start</c>, <c>end</c>, <c>job_id</c>, <c>page</c>.
    /// </summary>
    public static CalendarsRequestBody ParseGetEventsBody(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        var body = new CalendarsRequestBody();
        x.ParseObject(root, "cluster:monitor/xpack/ml/calendars/events/get",
        [
            new("calendar_id", VType.String, v => body.CalendarId = v.Text),
            new("start", VType.String, v => body.Start = v.Text),
            new("end", VType.String, v => body.End = v.Text),
            new("job_id", VType.String, v => body.JobId = v.Text),
            new("page", VType.Object, v => ParsePage(x, v, body)),
        ]);
        return body;
    }

    private static void ParsePage(XContent x, JNode node, CalendarsRequestBody body)
    {
        body.HasPage = true;
        x.ParseObject(node, "page",
        [
            new("from", VType.Number, v => body.From = XContent.AsInt(v)),
            new("size", VType.Number, v => body.Size = XContent.AsInt(v)),
        ]);
    }

    private static MlCalendar Parse(ReadOnlySpan<byte> json, string? urlId, bool strict)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json, ignoreUnknownFields: !strict);
        string? id = null;
        string? description = null;
        List<string> jobIds = [];
        x.ParseObject(root, "calendar_id",
        [
            new("calendar_id", VType.String, v => id = v.Text),
            new("job_ids", VType.StringArray, v => jobIds = x.AsStringArray(v)),
            new("type", VType.String, _ => { }),
            new("description", VType.StringOrNull, v => description = XContent.AsStringOrNull(v)),
        ]);
        if (id is null)
        {
            id = urlId;
        }
        else if (!string.IsNullOrEmpty(urlId) && urlId != id)
        {
            throw ElasticsearchException.IllegalArgument(
                $"Inconsistent calendar_id; '{id}' specified in the body differs from '{urlId}' specified as a URL argument");
        }

        return new MlCalendar(id ?? throw ElasticsearchException.IllegalArgument("calendar_id must not be null"), jobIds, description);
    }
}

/// <summary>The fields of a calendar or calendar events request body.</summary>
public sealed class CalendarsRequestBody
{
    /// <summary><c>calendar_id</c>, or null.</summary>
    public string? CalendarId { get; set; }

    /// <summary><c>start</c> (events), or null.</summary>
    public string? Start { get; set; }

    /// <summary><c>end</c> (events), or null.</summary>
    public string? End { get; set; }

    /// <summary><c>job_id</c> (events), or null.</summary>
    public string? JobId { get; set; }

    /// <summary>Whether the body has a <c>page</c>.</summary>
    public bool HasPage { get; set; }

    /// <summary><c>page.from</c>, or null.</summary>
    public int? From { get; set; }

    /// <summary><c>page.size</c>, or null.</summary>
    public int? Size { get; set; }
}
