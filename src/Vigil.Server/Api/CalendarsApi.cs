using System.Globalization;
using System.Security.Cryptography;
using Vigil.Cluster;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;
using Vigil.Server.Http;
using Vigil.Storage;

namespace Vigil.Server.Api;

/// <summary>
/// ML calendars (<c>_ml/calendars</c>): named sets of scheduled events that apply to jobs and job groups. Create, get
/// (id expressions, paging), delete (with its events), add and remove jobs, post, get and delete events.
/// </summary>
/// <remarks>
/// Implementation note (mirrors ES <c>TransportPutCalendarAction</c>, <c>TransportGetCalendarsAction</c>,
/// <c>TransportDeleteCalendarAction</c>, <c>TransportUpdateCalendarJobAction</c>, <c>TransportPostCalendarEventsAction</c>,
/// <c>TransportGetCalendarEventsAction</c> and <c>TransportDeleteCalendarEventAction</c>): <c>job_ids</c> are not checked
/// against the jobs (a calendar may name a group before any job has it); every change is passed on to the open jobs the
/// calendar applies to, which use the new events from the next bucket they score.
/// </remarks>
public sealed class CalendarsApi(ICalendarStore store, JobsApi jobs, IClusterFacade cluster)
{
    /// <summary>Page size when <c>size</c> is not given (ES <c>PageParams.DEFAULT_SIZE</c>).</summary>
    private const int DefaultSize = 100;

    /// <summary>Largest <c>from + size</c> (ES <c>PageParams</c>).</summary>
    private const int MaxWindow = 10000;

    private static readonly string[] PageParameters = ["from", "size"];
    private static readonly string[] EventParameters = ["job_id", "start", "end", "from", "size"];

    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        router.Add("PUT", "/_ml/calendars/{calendar_id}", PutAsync);
        router.Add("GET", "/_ml/calendars", r => GetAsync(r, null), PageParameters);
        router.Add("POST", "/_ml/calendars", r => GetAsync(r, null), PageParameters);
        router.Add("GET", "/_ml/calendars/{calendar_id}", r => GetAsync(r, r.Route("calendar_id")), PageParameters);
        router.Add("POST", "/_ml/calendars/{calendar_id}", r => GetAsync(r, r.Route("calendar_id")), PageParameters);
        router.Add("DELETE", "/_ml/calendars/{calendar_id}", DeleteAsync);
        router.Add("PUT", "/_ml/calendars/{calendar_id}/jobs/{job_id}", r => UpdateJobsAsync(r, add: true));
        router.Add("DELETE", "/_ml/calendars/{calendar_id}/jobs/{job_id}", r => UpdateJobsAsync(r, add: false));
        router.Add("POST", "/_ml/calendars/{calendar_id}/events", PostEventsAsync);
        router.Add("GET", "/_ml/calendars/{calendar_id}/events", GetEventsAsync, EventParameters);
        router.Add("DELETE", "/_ml/calendars/{calendar_id}/events/{event_id}", DeleteEventAsync);
    }

    /// <summary>404 <c>resource_not_found_exception</c> for calendars that do not exist.</summary>
    public static ElasticsearchException NoSuchCalendar(string calendarId) =>
        ElasticsearchException.ResourceNotFound($"No calendar with id [{calendarId}]");

    /// <summary>
    /// Takes a deleted job out of every calendar's <c>job_ids</c> (ES <c>JobResultsProvider.removeJobFromCalendars</c>,
    /// run when a job is deleted).
    /// </summary>
    public static async Task RemoveJobFromCalendarsAsync(ICalendarStore store, string jobId)
    {
        ArgumentNullException.ThrowIfNull(store);
        foreach (var document in await store.ListCalendarsAsync().ConfigureAwait(false))
        {
            var calendar = MlCalendar.ParseStored(document.Content);
            if (!calendar.JobIds.Contains(jobId))
            {
                continue;
            }

            var kept = new List<string>(calendar.JobIds.Count);
            foreach (var id in calendar.JobIds)
            {
                if (id != jobId)
                {
                    kept.Add(id);
                }
            }

            await store.UpdateCalendarAsync(calendar.CalendarId, JobsApi.Serialize((calendar with { JobIds = kept }).Write)).ConfigureAwait(false);
        }
    }

    private async Task<EsResponse> PutAsync(EsRequest request)
    {
        var calendarId = request.Route("calendar_id");
        var calendar = MlCalendar.ParseForPut(await request.ReadBodyAsync().ConfigureAwait(false), calendarId);
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!await store.TryCreateCalendarAsync(calendar.CalendarId, JobsApi.Serialize(calendar.Write)).ConfigureAwait(false))
            {
                throw ElasticsearchException.StatusError($"Cannot create calendar with id [{calendar.CalendarId}] as it already exists");
            }
        }
        finally
        {
            _lock.Release();
        }

        return EsResponse.Json(calendar.Write);
    }

    private async Task<EsResponse> GetAsync(EsRequest request, string? calendarId)
    {
        int? from = null;
        int? size = null;
        var hasPage = false;
        var body = await request.ReadBodyAsync().ConfigureAwait(false);
        if (body.Length > 0)
        {
            var parsed = MlCalendar.ParseGetBody(body);
            calendarId ??= parsed.CalendarId;
            (hasPage, from, size) = (parsed.HasPage, parsed.From, parsed.Size);
        }
        else if (request.Query("from") is not null || request.Query("size") is not null)
        {
            hasPage = true;
            from = IntParameter(request, "from", 0);
            size = IntParameter(request, "size", DefaultSize);
        }

        var (pageFrom, pageSize) = Page(from, size);
        if (!string.IsNullOrEmpty(calendarId) && hasPage)
        {
            throw MlCalendar.ValidationFailed(["Params [from, size] are incompatible with [calendar_id]."]);
        }

        var matched = Resolve(calendarId, await AllCalendarsAsync().ConfigureAwait(false));
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", matched.Count);
            w.WriteStartArray("calendars");
            for (var i = pageFrom; i < matched.Count && i < (long)pageFrom + pageSize; i++)
            {
                matched[i].Write(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> DeleteAsync(EsRequest request)
    {
        var calendarId = request.Route("calendar_id");
        MlCalendar calendar;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            calendar = await GetCalendarAsync(calendarId).ConfigureAwait(false);
            if (!await store.DeleteCalendarAsync(calendarId).ConfigureAwait(false))
            {
                throw NoSuchCalendar(calendarId);
            }
        }
        finally
        {
            _lock.Release();
        }

        await NotifyJobsAsync(calendar.JobIds).ConfigureAwait(false);
        return EsResponse.Acknowledged();
    }

    private async Task<EsResponse> UpdateJobsAsync(EsRequest request, bool add)
    {
        var calendarId = request.Route("calendar_id");
        var tokens = new List<string>();
        foreach (var token in request.Route("job_id").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!tokens.Contains(token))
            {
                tokens.Add(token);
            }
        }

        MlCalendar before;
        MlCalendar updated;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            before = await GetCalendarAsync(calendarId).ConfigureAwait(false);
            var jobIds = new List<string>(before.JobIds);
            foreach (var token in tokens)
            {
                if (add)
                {
                    if (!jobIds.Contains(token))
                    {
                        jobIds.Add(token);
                    }
                }
                else if (!jobIds.Contains(token))
                {
                    throw ElasticsearchException.StatusError($"Cannot remove [{token}] as it is not present in calendar [{calendarId}]");
                }
            }

            if (!add)
            {
                jobIds.RemoveAll(tokens.Contains);
            }

            updated = before with { JobIds = jobIds };
            if (!await store.UpdateCalendarAsync(calendarId, JobsApi.Serialize(updated.Write)).ConfigureAwait(false))
            {
                throw NoSuchCalendar(calendarId);
            }
        }
        finally
        {
            _lock.Release();
        }

        // ES notifies the jobs of the updated calendar; the removed ones are told too, so they drop its events.
        var affected = new List<string>(updated.JobIds);
        affected.AddRange(before.JobIds);
        await NotifyJobsAsync(affected).ConfigureAwait(false);
        return EsResponse.Json(updated.Write);
    }

    private async Task<EsResponse> PostEventsAsync(EsRequest request)
    {
        var calendarId = request.Route("calendar_id");
        var events = MlScheduledEvent.ParsePost(await JobsApi.RequireBodyAsync(request).ConfigureAwait(false), calendarId);
        MlCalendar calendar;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            calendar = await GetCalendarAsync(calendarId).ConfigureAwait(false);
            var stored = new List<StoredCalendarEvent>(events.Count);
            foreach (var e in events)
            {
                var eventId = NewEventId();
                stored.Add(new StoredCalendarEvent(eventId, calendarId, e.StartMs, e.EndMs, JobsApi.Serialize(w => e.WithId(eventId).Write(w))));
            }

            if (!await store.AddEventsAsync(calendarId, stored).ConfigureAwait(false))
            {
                throw NoSuchCalendar(calendarId);
            }
        }
        finally
        {
            _lock.Release();
        }

        await NotifyJobsAsync(calendar.JobIds).ConfigureAwait(false);
        var human = request.Human;
        return EsResponse.Json(w =>
        {
            // ES answers with the events as posted: no event_id.
            w.WriteStartObject();
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                e.Write(w, human);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> GetEventsAsync(EsRequest request)
    {
        var calendarId = request.Route("calendar_id");
        string? start;
        string? end;
        string? jobId;
        int? from = null;
        int? size = null;
        var body = await request.ReadBodyAsync().ConfigureAwait(false);
        if (body.Length > 0)
        {
            var parsed = MlCalendar.ParseGetEventsBody(body);
            (start, end, jobId, from, size) = (parsed.Start, parsed.End, parsed.JobId, parsed.From, parsed.Size);
        }
        else
        {
            start = request.Query("start");
            end = request.Query("end");
            jobId = request.Query("job_id");
            if (request.Query("from") is not null || request.Query("size") is not null)
            {
                from = IntParameter(request, "from", 0);
                size = IntParameter(request, "size", DefaultSize);
            }
        }

        var (pageFrom, pageSize) = Page(from, size);
        if (jobId is not null && calendarId != MlCalendar.All)
        {
            throw MlCalendar.ValidationFailed(["If job_id is used calendar_id must be '_all'"]);
        }

        var startMs = start is null ? (long?)null : QueryTime(start);
        var endMs = end is null ? (long?)null : QueryTime(end);
        var all = await AllCalendarsAsync().ConfigureAwait(false);
        var calendars = Resolve(calendarId, all);
        if (jobId is not null)
        {
            calendars = await CalendarsForJobAsync(jobId, all).ConfigureAwait(false);
        }

        var ids = new List<string>(calendars.Count);
        foreach (var c in calendars)
        {
            ids.Add(c.CalendarId);
        }

        var events = new List<MlScheduledEvent>();
        foreach (var stored in await store.ListEventsAsync(ids).ConfigureAwait(false))
        {
            if ((startMs is null || stored.EndMs > startMs) && (endMs is null || stored.StartMs < endMs))
            {
                events.Add(MlScheduledEvent.ParseStored(stored.Content, stored.EventId));
            }
        }

        // ES sorts by start_time, then description.
        events.Sort(static (a, b) =>
        {
            var c = a.StartMs.CompareTo(b.StartMs);
            return c != 0 ? c : string.CompareOrdinal(a.Description, b.Description);
        });
        var human = request.Human;
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("count", events.Count);
            w.WriteStartArray("events");
            for (var i = pageFrom; i < events.Count && i < (long)pageFrom + pageSize; i++)
            {
                events[i].Write(w, human);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private async Task<EsResponse> DeleteEventAsync(EsRequest request)
    {
        var calendarId = request.Route("calendar_id");
        var eventId = request.Route("event_id");
        MlCalendar calendar;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            // ES checks the calendar exists before the event.
            calendar = await GetCalendarAsync(calendarId).ConfigureAwait(false);
            var stored = await store.GetEventAsync(eventId).ConfigureAwait(false)
                ?? throw ElasticsearchException.ResourceNotFound($"No event with id [{eventId}]");
            if (stored.CalendarId != calendarId)
            {
                throw ElasticsearchException.StatusError(
                    $"Event [{eventId}] has calendar_id [{stored.CalendarId}] which does not match the request calendar_id [{calendarId}]");
            }

            if (!await store.DeleteEventAsync(eventId).ConfigureAwait(false))
            {
                throw ElasticsearchException.ResourceNotFound($"No event with id [{eventId}]");
            }
        }
        finally
        {
            _lock.Release();
        }

        await NotifyJobsAsync(calendar.JobIds).ConfigureAwait(false);
        return EsResponse.Acknowledged();
    }

    /// <summary>
    /// The calendars that apply to a job id or group (ES: the job's id and groups, or the group alone when no job has that
    /// id; 404 <c>No known job with id 'x'</c> when it is neither).
    /// </summary>
    private async Task<List<MlCalendar>> CalendarsForJobAsync(string jobId, List<MlCalendar> all)
    {
        var configs = await jobs.AllJobsAsync().ConfigureAwait(false);
        IReadOnlyList<string>? groups = null;
        var id = jobId;
        foreach (var job in configs)
        {
            if (job.JobId == jobId)
            {
                groups = job.Groups;
                break;
            }
        }

        if (groups is null)
        {
            var isGroup = false;
            foreach (var job in configs)
            {
                isGroup |= job.Groups.Contains(jobId);
            }

            if (!isGroup)
            {
                throw JobsApi.UnknownJob(jobId);
            }

            (id, groups) = (string.Empty, [jobId]);
        }

        var result = new List<MlCalendar>();
        foreach (var calendar in all)
        {
            if (calendar.AppliesTo(id, groups))
            {
                result.Add(calendar);
            }
        }

        return result;
    }

    /// <summary>Passes a calendar change on to the open jobs it names (directly, through a group, or with <c>_all</c>).</summary>
    private async Task NotifyJobsAsync(IReadOnlyList<string> calendarJobIds)
    {
        foreach (var job in await jobs.AllJobsAsync().ConfigureAwait(false))
        {
            var applies = false;
            foreach (var id in calendarJobIds)
            {
                applies |= id == MlCalendar.All || id == job.JobId || job.Groups.Contains(id);
            }

            if (applies)
            {
                await cluster.UpdateJobCalendarsAsync(job.JobId).ConfigureAwait(false);
            }
        }
    }

    private async Task<MlCalendar> GetCalendarAsync(string calendarId)
    {
        var raw = await store.GetCalendarAsync(calendarId).ConfigureAwait(false) ?? throw NoSuchCalendar(calendarId);
        return MlCalendar.ParseStored(raw);
    }

    /// <summary>Every stored calendar, sorted by id (Java string order).</summary>
    private async Task<List<MlCalendar>> AllCalendarsAsync()
    {
        var stored = await store.ListCalendarsAsync().ConfigureAwait(false);
        var calendars = new List<MlCalendar>(stored.Count);
        foreach (var document in stored)
        {
            calendars.Add(MlCalendar.ParseStored(document.Content));
        }

        calendars.Sort(static (a, b) => string.CompareOrdinal(a.CalendarId, b.CalendarId));
        return calendars;
    }

    /// <summary>
    /// The calendars an id expression (comma-separated ids and <c>*</c> patterns; none, <c>_all</c> or <c>*</c> for all)
    /// names. As ES (a search over the tokens), only an expression that matches nothing is an error: 404
    /// <c>No calendar with id [a,b]</c>.
    /// </summary>
    private static List<MlCalendar> Resolve(string? expression, List<MlCalendar> all)
    {
        if (JobIdExpression.IsAll(expression))
        {
            return all;
        }

        var tokens = expression!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new List<MlCalendar>();
        foreach (var calendar in all)
        {
            foreach (var token in tokens)
            {
                if (token == MlCalendar.All || JobIdExpression.SimpleMatch(token, calendar.CalendarId))
                {
                    result.Add(calendar);
                    break;
                }
            }
        }

        if (result.Count == 0)
        {
            throw NoSuchCalendar(string.Join(",", tokens));
        }

        return result;
    }

    /// <summary>ES <c>PageParams</c>: defaults 0 and 100, neither negative, their sum at most 10,000.</summary>
    private static (int From, int Size) Page(int? from, int? size)
    {
        var f = from ?? 0;
        var s = size ?? DefaultSize;
        if (f < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [from] cannot be < 0");
        }

        if (s < 0)
        {
            throw ElasticsearchException.IllegalArgument("Parameter [size] cannot be < 0");
        }

        if ((long)f + s > MaxWindow)
        {
            throw ElasticsearchException.IllegalArgument(
                $"The sum of parameters [from] and [size] cannot be higher than {MaxWindow.ToString(CultureInfo.InvariantCulture)}.");
        }

        return (f, s);
    }

    /// <summary>
    /// <c>start</c>/<c>end</c> of an events query, as the ES range query on the event's date fields reads them
    /// (<c>strict_date_optional_time||epoch_millis</c>: digits are epoch milliseconds).
    /// </summary>
    private static long QueryTime(string value)
    {
        if (value.Length > 0 && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            return ms;
        }

        if (MlScheduledEvent.TryParseIsoMs(value, out var iso))
        {
            return iso;
        }

        var reason = $"failed to parse date field [{value}] with format [strict_date_optional_time||epoch_millis]";
        throw ElasticsearchException.Parse($"{reason}: [{reason}]");
    }

    /// <summary>A new event id: 20 URL-safe base64 characters, the shape of an ES auto-generated document id.</summary>
    private static string NewEventId()
    {
        Span<byte> bytes = stackalloc byte[15];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    private static int IntParameter(EsRequest request, string name, int fallback)
    {
        var raw = request.Query(name);
        if (raw is null)
        {
            return fallback;
        }

        return int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ElasticsearchException.IllegalArgument($"Failed to parse int parameter [{name}] with value [{raw}]");
    }
}
