using Vigil.Engine.Configuration;
using Vigil.Engine.Pipeline;
using Vigil.Storage;

namespace Vigil.Cluster.Jobs;

/// <summary>Finds the scheduled events that apply to a job: those of the calendars naming the job, one of its groups, or <c>_all</c>.</summary>
/// <remarks>
/// Implementation note (mirrors ES <c>AutodetectProcessManager</c> and <c>JobResultsProvider.scheduledEventsForJob</c>):
/// the process gets the events that end after the time it has analysed up to (ES: the job's earliest valid timestamp),
/// ordered by start time, at most 1,000 (the default size of ES's <c>ScheduledEventsQueryBuilder</c>).
/// </remarks>
internal static class JobCalendars
{
    /// <summary>Most events a job is given (ES <c>ScheduledEventsQueryBuilder.DEFAULT_SIZE</c>).</summary>
    public const int MaxEvents = 1000;

    /// <summary>The events of the job's calendars that end after <paramref name="analysedUpToMs"/>.</summary>
    public static async Task<List<ScheduledEventSpec>> LoadAsync(ICalendarStore store, JobConfig config, long? analysedUpToMs)
    {
        var calendarIds = new List<string>();
        foreach (var document in await store.ListCalendarsAsync().ConfigureAwait(false))
        {
            if (MlCalendar.ParseStored(document.Content).AppliesTo(config.JobId, config.Groups))
            {
                calendarIds.Add(document.Id);
            }
        }

        var events = new List<ScheduledEventSpec>();
        if (calendarIds.Count == 0)
        {
            return events;
        }

        foreach (var stored in await store.ListEventsAsync(calendarIds).ConfigureAwait(false))
        {
            if (analysedUpToMs is { } upTo && stored.EndMs <= upTo)
            {
                continue;
            }

            // An event with force_time_shift becomes a rule with that action too (ES ScheduledEvent.toDetectionRule).
            events.Add(MlScheduledEvent.ParseStored(stored.Content, stored.EventId).ToSpec());
            if (events.Count == MaxEvents)
            {
                break;
            }
        }

        return events;
    }
}
