using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class CalendarsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z
    private const int AnomalyHour = (8 * 24) + 5;

    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Calendar_crud_answers_as_elasticsearch()
    {
        var put = await Server.PutAsync("/_ml/calendars/crud-advent", """{"job_ids":["cal-job","cal-job2"],"description":"This is a calendar about..."}""");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("""{"calendar_id":"crud-advent","job_ids":["cal-job","cal-job2"],"description":"This is a calendar about..."}""", put.Text);

        var empty = await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/crud-empty");
        Assert.Equal("""{"calendar_id":"crud-empty","job_ids":[]}""", empty.Text);

        var get = await Server.GetAsync("/_ml/calendars/crud-advent");
        Assert.Equal("""{"count":1,"calendars":[{"calendar_id":"crud-advent","job_ids":["cal-job","cal-job2"],"description":"This is a calendar about..."}]}""",
            get.Text);
        var listed = (await Server.GetAsync("/_ml/calendars/crud-*")).Json!;
        Assert.Equal(["crud-advent", "crud-empty"], listed["calendars"]!.AsArray().Select(c => (string)c!["calendar_id"]!).ToList());
        var comma = (await Server.GetAsync("/_ml/calendars/crud-empty,crud-advent,crud-none")).Json!;
        Assert.Equal(2, (int)comma["count"]!);

        var deleted = await Server.DeleteAsync("/_ml/calendars/crud-empty");
        Assert.Equal("""{"acknowledged":true}""", deleted.Text);
        var gone = await Server.GetAsync("/_ml/calendars/crud-empty");
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal("resource_not_found_exception", gone.ErrorType);
        Assert.Equal("No calendar with id [crud-empty]", gone.ErrorReason);
        var deleteAgain = await Server.DeleteAsync("/_ml/calendars/crud-empty");
        Assert.Equal(HttpStatusCode.NotFound, deleteAgain.Status);
        Assert.Equal("No calendar with id [crud-empty]", deleteAgain.ErrorReason);
    }

    [Fact]
    public async Task Get_calendars_pages_with_query_or_body_and_refuses_paging_with_an_id()
    {
        await using var server = await VigilTestServer.StartAsync();
        Assert.Equal("""{"count":0,"calendars":[]}""", (await server.GetAsync("/_ml/calendars/_all")).Text);
        foreach (var id in (string[])["calendar3", "calendar1", "calendar2"])
        {
            await server.SendAsync(HttpMethod.Put, $"/_ml/calendars/{id}");
        }

        Assert.Equal("""{"count":3,"calendars":[{"calendar_id":"calendar3","job_ids":[]}]}""", (await server.GetAsync("/_ml/calendars?from=2")).Text);
        Assert.Equal("""{"count":3,"calendars":[{"calendar_id":"calendar2","job_ids":[]}]}""",
            (await server.GetAsync("/_ml/calendars?from=1&size=1")).Text);
        var body = await server.SendAsync(HttpMethod.Get, "/_ml/calendars", """{"page":{"from":1,"size":2}}""");
        Assert.Equal(["calendar2", "calendar3"], body.Json!["calendars"]!.AsArray().Select(c => (string)c!["calendar_id"]!).ToList());
        Assert.Equal(3, (int)(await server.PostAsync("/_ml/calendars/_all")).Json!["count"]!);

        var withId = await server.GetAsync("/_ml/calendars/tides?size=10");
        Assert.Equal(HttpStatusCode.BadRequest, withId.Status);
        Assert.Equal("action_request_validation_exception", withId.ErrorType);
        Assert.Equal("Validation Failed: 1: Params [from, size] are incompatible with [calendar_id].;", withId.ErrorReason);

        var negative = await server.GetAsync("/_ml/calendars?from=-1");
        Assert.Equal("illegal_argument_exception", negative.ErrorType);
        Assert.Equal("Parameter [from] cannot be < 0", negative.ErrorReason);
        var tooFar = await server.GetAsync("/_ml/calendars?from=9999&size=2");
        Assert.Equal("The sum of parameters [from] and [size] cannot be higher than 10000.", tooFar.ErrorReason);
        var unknown = await server.GetAsync("/_ml/calendars/nothing-*");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("No calendar with id [nothing-*]", unknown.ErrorReason);
    }

    [Fact]
    public async Task Put_calendar_errors_have_the_elasticsearch_types_statuses_and_reasons()
    {
        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/errors-mayan");
        var twice = await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/errors-mayan");
        Assert.Equal(HttpStatusCode.BadRequest, twice.Status);
        Assert.Equal("""{"error":{"root_cause":[{"type":"status_exception","reason":"Cannot create calendar with id [errors-mayan] as it already exists"}],"type":"status_exception","reason":"Cannot create calendar with id [errors-mayan] as it already exists"},"status":400}""",
            twice.Text);

        var upper = await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/Mayas");
        Assert.Equal(HttpStatusCode.BadRequest, upper.Status);
        Assert.Equal("action_request_validation_exception", upper.ErrorType);
        Assert.Equal("Validation Failed: 1: Invalid calendar_id; 'Mayas' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric;",
            upper.ErrorReason);

        var all = await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/_all");
        Assert.Equal("Validation Failed: 1: Cannot create a Calendar with the reserved name [_all];2: Invalid calendar_id; '_all' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric;",
            all.ErrorReason);

        var mismatch = await Server.PutAsync("/_ml/calendars/uri_id", """{"calendar_id":"body_id"}""");
        Assert.Equal("illegal_argument_exception", mismatch.ErrorType);
        Assert.Equal("Inconsistent calendar_id; 'body_id' specified in the body differs from 'uri_id' specified as a URL argument", mismatch.ErrorReason);

        var unknownField = await Server.PutAsync("/_ml/calendars/errors-field", """{"job_idz":["a"]}""");
        Assert.Equal("x_content_parse_exception", unknownField.ErrorType);
        Assert.Equal("[1:2] [calendar_id] unknown field [job_idz] did you mean [job_ids]?", unknownField.ErrorReason);
    }

    [Fact]
    public async Task Jobs_and_groups_are_added_and_removed_by_comma_separated_lists()
    {
        await Server.PutAsync("/_ml/calendars/expression", """{"job_ids":["bar-a"]}""");

        var added = await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/expression/jobs/foo-a,foo-b,bar-a");
        Assert.Equal("""{"calendar_id":"expression","job_ids":["bar-a","foo-a","foo-b"]}""", added.Text);
        var removed = await Server.DeleteAsync("/_ml/calendars/expression/jobs/foo-a,foo-b");
        Assert.Equal("""{"calendar_id":"expression","job_ids":["bar-a"]}""", removed.Text);

        var absent = await Server.DeleteAsync("/_ml/calendars/expression/jobs/otter");
        Assert.Equal(HttpStatusCode.BadRequest, absent.Status);
        Assert.Equal("status_exception", absent.ErrorType);
        Assert.Equal("Cannot remove [otter] as it is not present in calendar [expression]", absent.ErrorReason);

        var missing = await Server.DeleteAsync("/_ml/calendars/unknown/jobs/missing_calendar");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("No calendar with id [unknown]", missing.ErrorReason);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/unknown/jobs/a")).Status);
    }

    [Fact]
    public async Task Deleting_a_job_removes_it_from_calendars()
    {
        await Jobs.CreateAsync(Server, "cal-crud-test-delete");
        await Server.PutAsync("/_ml/calendars/delete-test", """{"job_ids":["cal-crud-test-delete","some-group"]}""");

        Assert.Equal(HttpStatusCode.OK, (await Server.DeleteAsync("/_ml/anomaly_detectors/cal-crud-test-delete")).Status);

        Assert.Equal("""{"count":1,"calendars":[{"calendar_id":"delete-test","job_ids":["some-group"]}]}""",
            (await Server.GetAsync("/_ml/calendars/delete-test")).Text);
    }

    [Fact]
    public async Task Posted_events_are_returned_without_ids_and_listed_sorted_paged_and_filtered_by_time()
    {
        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/events");
        var post = await Server.PostAsync("/_ml/calendars/events/events", """
            {"events":[
              {"description":"event 2","start_time":"2017-12-05T00:00:00Z","end_time":"2017-12-06T00:00:00Z","calendar_id":"events"},
              {"description":"event 1","start_time":1512086400000,"end_time":"1512172800","skip_result":false},
              {"description":"event 4","start_time":"2017-12-12T00:00:00Z","end_time":"2017-12-15T00:00:00Z","force_time_shift":3600},
              {"description":"event 3","start_time":"2017-12-12T00:00:00Z","end_time":"2017-12-13T00:00:00Z","skip_model_update":false}]}
            """);
        Assert.Equal(HttpStatusCode.OK, post.Status);
        Assert.Equal(
            """{"events":[{"description":"event 2","start_time":1512432000000,"end_time":1512518400000,"skip_result":true,"skip_model_update":true,"calendar_id":"events"},"""
            + """{"description":"event 1","start_time":1512086400000,"end_time":1512172800000,"skip_result":false,"skip_model_update":true,"calendar_id":"events"},"""
            + """{"description":"event 4","start_time":1513036800000,"end_time":1513296000000,"skip_result":true,"skip_model_update":true,"force_time_shift":3600,"calendar_id":"events"},"""
            + """{"description":"event 3","start_time":1513036800000,"end_time":1513123200000,"skip_result":true,"skip_model_update":false,"calendar_id":"events"}]}""",
            post.Text);

        var all = (await Server.GetAsync("/_ml/calendars/events/events")).Json!;
        Assert.Equal(4, (int)all["count"]!);
        Assert.Equal(["event 1", "event 2", "event 3", "event 4"], Descriptions(all));
        var first = all["events"]![0]!;
        Assert.Equal(20, ((string)first["event_id"]!).Length);
        Assert.Equal(["description", "start_time", "end_time", "skip_result", "skip_model_update", "calendar_id", "event_id"],
            first.AsObject().Select(p => p.Key).ToList());

        Assert.Equal(["event 2", "event 3"], Descriptions((await Server.GetAsync("/_ml/calendars/events/events?from=1&size=2")).Json!));
        Assert.Equal(["event 1", "event 2"], Descriptions((await Server.GetAsync("/_ml/calendars/events/events?end=2017-12-12T00:00:00Z")).Json!));
        Assert.Equal(["event 2", "event 3", "event 4"], Descriptions((await Server.GetAsync("/_ml/calendars/events/events?start=2017-12-05T03:00:00Z")).Json!));
        Assert.Equal(["event 2"],
            Descriptions((await Server.GetAsync("/_ml/calendars/events/events?start=2017-12-02T00:00:00Z&end=1513036800000")).Json!));

        var human = (await Server.GetAsync("/_ml/calendars/events/events?size=1&human")).Json!["events"]![0]!;
        Assert.Equal("2017-12-01T00:00:00.000Z", (string?)human["start_time_string"]);
    }

    [Fact]
    public async Task Event_errors_have_the_elasticsearch_types_statuses_and_reasons()
    {
        var none = await Server.PostAsync("/_ml/calendars/foo/events", """{"events":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        Assert.Equal("status_exception", none.ErrorType);
        Assert.Equal("At least 1 event is required", none.ErrorReason);

        var noCalendar = await Server.PostAsync("/_ml/calendars/foo/events",
            """{"events":[{"description":"x","start_time":1000,"end_time":2000}]}""");
        Assert.Equal(HttpStatusCode.NotFound, noCalendar.Status);
        Assert.Equal("No calendar with id [foo]", noCalendar.ErrorReason);

        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/events-2");
        var backwards = await Server.PostAsync("/_ml/calendars/events-2/events",
            """{"events":[{"description":"x","start_time":"2017-12-02T00:00:00Z","end_time":"2017-12-01T00:00:00.250Z"}]}""");
        Assert.Equal("status_exception", backwards.ErrorType);
        Assert.Equal("Event start time [2017-12-02T00:00:00Z] must come before end time [2017-12-01T00:00:00.250Z]", backwards.ErrorReason);

        var otherCalendar = await Server.PostAsync("/_ml/calendars/events-2/events",
            """{"events":[{"description":"event 21","start_time":"2017-12-02T00:00:00Z","end_time":"2017-12-03T00:00:00Z","calendar_id":"events"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, otherCalendar.Status);
        Assert.Equal("Inconsistent calendar_id; 'events' specified in the body differs from 'events-2' specified as a URL argument", otherCalendar.ErrorReason);

        var noDescription = await Server.PostAsync("/_ml/calendars/events-2/events", """{"events":[{"start_time":1000,"end_time":2000}]}""");
        Assert.Equal("Field [description] cannot be null.", noDescription.ErrorReason);

        var unknownField = await Server.PostAsync("/_ml/calendars/events-2/events",
            """{"events":[{"description":"x","start_time":1000,"end_time":2000,"event_id":"mine"}]}""");
        Assert.Equal("x_content_parse_exception", unknownField.ErrorType);
        Assert.Equal("[1:65] [cluster:admin/xpack/ml/calendars/events/post] failed to parse field [events]", unknownField.ErrorReason);
        Assert.Equal("[1:65] [scheduled_event] unknown field [event_id]", (string?)unknownField.Json!["error"]!["caused_by"]!["reason"]);

        var jobWithId = await Server.GetAsync("/_ml/calendars/events-2/events?job_id=some-job");
        Assert.Equal(HttpStatusCode.BadRequest, jobWithId.Status);
        Assert.Equal("action_request_validation_exception", jobWithId.ErrorType);
        Assert.Equal("Validation Failed: 1: If job_id is used calendar_id must be '_all';", jobWithId.ErrorReason);

        var unknownJob = await Server.GetAsync("/_ml/calendars/_all/events?job_id=no-such-job-or-group");
        Assert.Equal(HttpStatusCode.NotFound, unknownJob.Status);
        Assert.Equal("No known job with id 'no-such-job-or-group'", unknownJob.ErrorReason);

        Assert.Equal("No calendar with id [missing-cal]", (await Server.GetAsync("/_ml/calendars/missing-cal/events")).ErrorReason);

        var badStart = await Server.GetAsync("/_ml/calendars/_all/events?start=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badStart.Status);
        Assert.Equal("parse_exception", badStart.ErrorType);
        Assert.Equal("failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]: "
            + "[failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]]", badStart.ErrorReason);
    }

    [Fact]
    public async Task Events_are_deleted_one_by_one_or_with_their_calendar()
    {
        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/cal-foo");
        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/cal-bar");
        await Server.PostAsync("/_ml/calendars/cal-foo/events", """
            {"events":[{"description":"event 1","start_time":"2017-12-01T00:00:00Z","end_time":"2017-12-02T00:00:00Z"},
                       {"description":"event 2","start_time":"2017-12-05T00:00:00Z","end_time":"2017-12-06T00:00:00Z"}]}
            """);
        await Server.PostAsync("/_ml/calendars/cal-bar/events", """
            {"events":[{"description":"event 21","start_time":"2017-12-02T00:00:00Z","end_time":"2017-12-02T05:00:00Z"}]}
            """);
        var fooEvent = (string)(await Server.GetAsync("/_ml/calendars/cal-foo/events")).Json!["events"]![0]!["event_id"]!;

        var wrongCalendar = await Server.DeleteAsync($"/_ml/calendars/cal-bar/events/{fooEvent}");
        Assert.Equal(HttpStatusCode.BadRequest, wrongCalendar.Status);
        Assert.Equal("status_exception", wrongCalendar.ErrorType);
        Assert.Equal($"Event [{fooEvent}] has calendar_id [cal-foo] which does not match the request calendar_id [cal-bar]", wrongCalendar.ErrorReason);
        var missingEvent = await Server.DeleteAsync("/_ml/calendars/cal-foo/events/missing-event");
        Assert.Equal(HttpStatusCode.NotFound, missingEvent.Status);
        Assert.Equal("No event with id [missing-event]", missingEvent.ErrorReason);
        Assert.Equal("No calendar with id [unknown]", (await Server.DeleteAsync("/_ml/calendars/unknown/events/event_1")).ErrorReason);

        Assert.Equal("""{"acknowledged":true}""", (await Server.DeleteAsync($"/_ml/calendars/cal-foo/events/{fooEvent}")).Text);
        Assert.Equal(["event 2"], Descriptions((await Server.GetAsync("/_ml/calendars/cal-foo/events")).Json!));

        await Server.DeleteAsync("/_ml/calendars/cal-foo");
        Assert.Equal(["event 21"], Descriptions((await Server.GetAsync("/_ml/calendars/cal-*/events")).Json!));
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/calendars/cal-foo/events")).Status);
    }

    [Fact]
    public async Task Events_of_a_job_come_from_calendars_naming_the_job_its_groups_or_all()
    {
        await Jobs.CreateAsync(Server, "cal-job-with-events", """
            {"analysis_config":{"detectors":[{"function":"metric","field_name":"responsetime","by_field_name":"airline"}]},
             "data_description":{},"groups":["ben-holidays-group"]}
            """);
        await Server.PutAsync("/_ml/calendars/by-job", """{"job_ids":["cal-job-with-events"]}""");
        await Server.PutAsync("/_ml/calendars/by-group", """{"job_ids":["ben-holidays-group"]}""");
        await Server.PutAsync("/_ml/calendars/for-all", """{"job_ids":["_all"]}""");
        await Server.PutAsync("/_ml/calendars/not-used-by-job", """{"job_ids":["other-job"]}""");
        await Server.PostAsync("/_ml/calendars/by-job/events", """{"events":[{"description":"xmas","start_time":"2017-12-25T00:00:00Z","end_time":"2017-12-26T00:00:00Z"}]}""");
        await Server.PostAsync("/_ml/calendars/by-group/events", """{"events":[{"description":"ski","start_time":"2018-01-20T00:00:00Z","end_time":"2018-01-27T00:00:00Z"}]}""");
        await Server.PostAsync("/_ml/calendars/for-all/events", """{"events":[{"description":"ny","start_time":"2018-01-01T00:00:00Z","end_time":"2018-01-02T00:00:00Z"}]}""");
        await Server.PostAsync("/_ml/calendars/not-used-by-job/events", """{"events":[{"description":"random","start_time":"2018-01-21T00:00:00Z","end_time":"2018-01-26T00:00:00Z"}]}""");

        var forJob = (await Server.GetAsync("/_ml/calendars/_all/events?job_id=cal-job-with-events")).Json!;
        Assert.Equal(3, (int)forJob["count"]!);
        Assert.Equal(["xmas", "ny", "ski"], Descriptions(forJob));
        Assert.Equal(["ny", "ski"], Descriptions((await Server.GetAsync("/_ml/calendars/_all/events?job_id=cal-job-with-events&start=2018-01-01T00:00:00Z")).Json!));
        Assert.Equal(["ny", "ski"], Descriptions((await Server.GetAsync("/_ml/calendars/_all/events?job_id=ben-holidays-group")).Json!));
    }

    [Fact]
    public async Task Calendars_and_events_survive_a_restart()
    {
        await using var server = await VigilTestServer.StartAsync();
        await server.PutAsync("/_ml/calendars/persisted", """{"job_ids":["a-job"],"description":"kept"}""");
        await server.PostAsync("/_ml/calendars/persisted/events", """{"events":[{"description":"kept event","start_time":1000,"end_time":2000,"skip_result":false}]}""");
        var calendars = (await server.GetAsync("/_ml/calendars")).Text;
        var events = (await server.GetAsync("/_ml/calendars/persisted/events")).Text;

        await server.RestartAsync();

        Assert.Equal(calendars, (await server.GetAsync("/_ml/calendars")).Text);
        Assert.Equal(events, (await server.GetAsync("/_ml/calendars/persisted/events")).Text);
        Assert.Contains("\"skip_result\":false", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anomaly_inside_a_scheduled_event_gives_no_record_and_the_bucket_lists_the_event()
    {
        await Server.PutAsync("/_ml/calendars/anomaly-cal", """{"job_ids":["in-calendar"]}""");
        await Server.PostAsync("/_ml/calendars/anomaly-cal/events", $$"""
            {"events":[{"description":"planned maintenance","start_time":{{AnomalyTimeMs}},"end_time":{{AnomalyTimeMs + 3_600_000}}}]}
            """);
        await Jobs.CreateOpenAsync(Server, "in-calendar");
        await Jobs.CreateOpenAsync(Server, "not-in-calendar");
        var data = Farequote(0, 10 * 24, AnomalyHour, AnomalyHour + 1);
        await Jobs.PostDataAsync(Server, "in-calendar", data);
        await Jobs.PostDataAsync(Server, "not-in-calendar", data);
        await Server.PostAsync("/_ml/anomaly_detectors/in-calendar/_close");
        await Server.PostAsync("/_ml/anomaly_detectors/not-in-calendar/_close");

        Assert.DoesNotContain(await RecordsAsync("in-calendar"), r => (long)r!["timestamp"]! == AnomalyTimeMs);
        Assert.Contains(await RecordsAsync("not-in-calendar"),
            r => (long)r!["timestamp"]! == AnomalyTimeMs && (string?)r!["by_field_value"] == "AAL" && (double)r!["record_score"]! > 50);
        var bucket = (await Server.GetAsync($"/_ml/anomaly_detectors/in-calendar/results/buckets/{AnomalyTimeMs}")).Json!["buckets"]![0]!;
        Assert.Equal(["planned maintenance"], bucket["scheduled_events"]!.AsArray().Select(e => (string)e!).ToList());
        Assert.Equal(["job_id", "timestamp", "anomaly_score", "bucket_span", "initial_anomaly_score", "event_count", "is_interim",
            "bucket_influencers", "processing_time_ms", "scheduled_events", "result_type"], bucket.AsObject().Select(p => p.Key).ToList());
        var other = (await Server.GetAsync($"/_ml/anomaly_detectors/in-calendar/results/buckets/{AnomalyTimeMs + 3_600_000}")).Json!["buckets"]![0]!;
        Assert.Null(other["scheduled_events"]);
    }

    [Fact]
    public async Task The_model_does_not_learn_during_an_event_so_the_new_level_is_anomalous_after_it()
    {
        // AAL runs ten times higher for 12 hours; the event (reaching the job through its group) covers the first 11.
        await Server.PutAsync("/_ml/calendars/learn-cal", """{"job_ids":["learn-group"]}""");
        await Server.PostAsync("/_ml/calendars/learn-cal/events", $$"""
            {"events":[{"description":"migration","start_time":{{AnomalyTimeMs}},"end_time":{{AnomalyTimeMs + (11 * 3_600_000L)}}}]}
            """);
        await Jobs.CreateOpenAsync(Server, "learn-grouped", GroupedFarequote("learn-group"));
        await Jobs.CreateOpenAsync(Server, "learn-alone");
        var data = Farequote(0, 10 * 24, AnomalyHour, AnomalyHour + 12);
        await Jobs.PostDataAsync(Server, "learn-grouped", data);
        await Jobs.PostDataAsync(Server, "learn-alone", data);
        await Server.PostAsync("/_ml/anomaly_detectors/learn-grouped/_close");
        await Server.PostAsync("/_ml/anomaly_detectors/learn-alone/_close");

        var afterEvent = AnomalyTimeMs + (11 * 3_600_000L);
        var notLearned = Probability(await RecordsAsync("learn-grouped"), afterEvent);
        var learned = Probability(await RecordsAsync("learn-alone"), afterEvent);
        // Not learned: the 12th hour is still a record (the history of the skipped hours tempers its probability); learned:
        // no record at all.
        Assert.True(notLearned < 1e-3, $"after the event: p={notLearned}");
        Assert.True(learned > 1000 * notLearned, $"learned p={learned}, not learned p={notLearned}");
        Assert.DoesNotContain(await RecordsAsync("learn-grouped"), r => (long)r!["timestamp"]! >= AnomalyTimeMs && (long)r!["timestamp"]! < afterEvent);
    }

    [Fact]
    public async Task Events_posted_to_an_open_job_apply_from_its_next_bucket_and_force_time_shift_ones_are_taken()
    {
        await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/live-cal");
        await Jobs.CreateOpenAsync(Server, "live-events");
        await Jobs.PostDataAsync(Server, "live-events", Farequote(0, 8 * 24, AnomalyHour, AnomalyHour + 1));

        // Membership first, then the event: both reach the open job.
        Assert.Equal(HttpStatusCode.OK, (await Server.SendAsync(HttpMethod.Put, "/_ml/calendars/live-cal/jobs/live-events")).Status);
        var post = await Server.PostAsync("/_ml/calendars/live-cal/events", $$"""
            {"events":[{"description":"live","start_time":{{AnomalyTimeMs}},"end_time":{{AnomalyTimeMs + 3_600_000}}}]}
            """);
        Assert.Equal(HttpStatusCode.OK, post.Status);
        await Jobs.PostDataAsync(Server, "live-events", Farequote(8 * 24, 10 * 24, AnomalyHour, AnomalyHour + 1));

        var shift = await Server.PostAsync("/_ml/calendars/live-cal/events",
            $$"""{"events":[{"description":"dst","start_time":{{DstMs}},"end_time":{{DstMs + 1000}},"force_time_shift":3600}]}""");
        Assert.Equal(HttpStatusCode.OK, shift.Status);
        await Server.PostAsync("/_ml/anomaly_detectors/live-events/_close");

        Assert.DoesNotContain(await RecordsAsync("live-events"), r => (long)r!["timestamp"]! == AnomalyTimeMs);
        var bucket = (await Server.GetAsync($"/_ml/anomaly_detectors/live-events/results/buckets/{AnomalyTimeMs}")).Json!["buckets"]![0]!;
        Assert.Equal("live", (string?)bucket["scheduled_events"]![0]);

        // A job whose calendar has a force_time_shift event opens (it used to be refused).
        var reopen = await Server.PostAsync("/_ml/anomaly_detectors/live-events/_open");
        Assert.Equal(HttpStatusCode.OK, reopen.Status);
        await Server.PostAsync("/_ml/anomaly_detectors/live-events/_close");
    }

    [Fact]
    public async Task A_job_update_adding_a_group_of_a_calendar_gives_the_open_job_its_events()
    {
        await Server.PutAsync("/_ml/calendars/group-cal", """{"job_ids":["late-group"]}""");
        await Server.PostAsync("/_ml/calendars/group-cal/events", $$"""
            {"events":[{"description":"grouped","start_time":{{AnomalyTimeMs}},"end_time":{{AnomalyTimeMs + 3_600_000}}}]}
            """);
        await Jobs.CreateOpenAsync(Server, "joins-group");
        await Jobs.PostDataAsync(Server, "joins-group", Farequote(0, 8 * 24, AnomalyHour, AnomalyHour + 1));

        var update = await Server.PostAsync("/_ml/anomaly_detectors/joins-group/_update", """{"groups":["late-group"]}""");
        Assert.Equal(HttpStatusCode.OK, update.Status);
        await Jobs.PostDataAsync(Server, "joins-group", Farequote(8 * 24, 10 * 24, AnomalyHour, AnomalyHour + 1));
        await Server.PostAsync("/_ml/anomaly_detectors/joins-group/_close");

        Assert.DoesNotContain(await RecordsAsync("joins-group"), r => (long)r!["timestamp"]! == AnomalyTimeMs);
        var bucket = (await Server.GetAsync($"/_ml/anomaly_detectors/joins-group/results/buckets/{AnomalyTimeMs}")).Json!["buckets"]![0]!;
        Assert.Equal("grouped", (string?)bucket["scheduled_events"]![0]);
    }

    private static long AnomalyTimeMs => (Start + (AnomalyHour * 3600L)) * 1000;

    private static long DstMs => (Start + (30 * 24 * 3600L)) * 1000;

    private static List<string> Descriptions(JsonNode page) => [.. page["events"]!.AsArray().Select(e => (string)e!["description"]!)];

    private static double Probability(List<JsonNode?> records, long time) =>
        records.Where(r => (long)r!["timestamp"]! == time && (string?)r!["by_field_value"] == "AAL").Select(r => (double)r!["probability"]!)
            .DefaultIfEmpty(1.0).Min();

    private static string GroupedFarequote(string group) => $$"""
        {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline"}]},
         "data_description":{"time_field":"time","time_format":"epoch"},"groups":["{{group}}"]}
        """;

    private async Task<List<JsonNode?>> RecordsAsync(string job) =>
        [.. (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray()];

    /// <summary>
    /// Ten airlines, one record each per 10 minutes, hours <paramref name="fromHour"/> to <paramref name="toHour"/>;
    /// AAL's response time is ten times higher in hours [<paramref name="highFrom"/>, <paramref name="highTo"/>). Seeded per hour.
    /// </summary>
    private static string Farequote(int fromHour, int toHour, int highFrom, int highTo)
    {
        var sb = new StringBuilder();
        for (var hour = fromHour; hour < toHour; hour++)
        {
            var random = new Random(1234 + hour);
            for (var t = Start + (hour * 3600L); t < Start + ((hour + 1) * 3600L); t += 600)
            {
                for (var a = 0; a < 10; a++)
                {
                    var airline = a == 0 ? "AAL" : "A" + a.ToString(CultureInfo.InvariantCulture);
                    var value = 100 + (a * 10) + (random.NextDouble() * 10);
                    if (a == 0 && hour >= highFrom && hour < highTo)
                    {
                        value *= 10;
                    }

                    sb.Append("{\"time\":").Append(t).Append(",\"airline\":\"").Append(airline)
                      .Append("\",\"responsetime\":").Append(value.ToString("F3", CultureInfo.InvariantCulture)).Append("}\n");
                }
            }
        }

        return sb.ToString();
    }
}
