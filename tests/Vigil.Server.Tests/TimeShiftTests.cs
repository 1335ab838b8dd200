using System.Globalization;
using System.Net;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

/// <summary>
/// <c>force_time_shift</c> over HTTP: a series with a daily shape in local time whose clock moves forward one hour
/// (daylight saving time) after three weeks of hourly buckets.
/// </summary>
public sealed class TimeShiftTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long StartMs = 1_699_999_200_000; // aligned to the hour
    private const int JumpHour = 21 * 24;
    private const int EndHour = JumpHour + (4 * 24);
    private const long JumpMs = StartMs + (JumpHour * 3_600_000L);

    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task A_job_with_a_force_time_shift_rule_opens_runs_and_follows_local_time_after_the_jump()
    {
        await Jobs.CreateOpenAsync(Server, "dst-rule", Job($$$"""
            ,"custom_rules":[{"actions":["force_time_shift"],"params":{"force_time_shift":{"time_shift_amount":3600}},
              "conditions":[{"applies_to":"time","operator":"gte","value":{{{JumpMs / 1000}}}}]}]
            """));
        await Jobs.CreateOpenAsync(Server, "dst-no-rule", Job(""));
        var data = Data(0, EndHour);
        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(Server, "dst-rule", data)).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(Server, "dst-no-rule", data)).Status);
        Assert.Equal(HttpStatusCode.OK, (await Server.PostAsync("/_ml/anomaly_detectors/dst-rule/_close")).Status);
        await Server.PostAsync("/_ml/anomaly_detectors/dst-no-rule/_close");

        var shifted = await MinProbabilityAfterJumpAsync("dst-rule");
        var unshifted = await MinProbabilityAfterJumpAsync("dst-no-rule");
        Assert.True(unshifted < 0.01, $"without the rule: min p after the jump {unshifted}");
        Assert.True(shifted > 0.05, $"with the rule: min p after the jump {shifted}");
        var buckets = (await Server.GetAsync("/_ml/anomaly_detectors/dst-rule/results/buckets?size=1000")).Json!;
        Assert.True((int)buckets["count"]! >= EndHour - 1, buckets.ToJsonString()[..100]);

        // Reopened, the rule (whose condition still holds) does not shift the models again.
        Assert.Equal(HttpStatusCode.OK, (await Server.PostAsync("/_ml/anomaly_detectors/dst-rule/_open")).Status);
        await Jobs.PostDataAsync(Server, "dst-rule", Data(EndHour, EndHour + 48));
        await Server.PostAsync("/_ml/anomaly_detectors/dst-rule/_close");
        var later = await MinProbabilityAfterJumpAsync("dst-rule");
        Assert.True(later > 0.05, $"after reopening: min p after the jump {later}");
    }

    [Fact]
    public async Task A_calendar_event_with_force_time_shift_reaches_an_open_job()
    {
        await Server.PutAsync("/_ml/calendars/dst-calendar", """{"job_ids":["dst-event"]}""");
        await Jobs.CreateOpenAsync(Server, "dst-event", Job(""));
        await Jobs.PostDataAsync(Server, "dst-event", Data(0, JumpHour - 24));

        // The event is posted while the job is open (ES: the running process gets the updated events).
        var post = await Server.PostAsync("/_ml/calendars/dst-calendar/events", $$"""
            {"events":[{"description":"summer time","start_time":{{JumpMs}},"end_time":{{JumpMs + 3_600_000}},
              "skip_result":false,"skip_model_update":false,"force_time_shift":3600}]}
            """);
        Assert.Equal(HttpStatusCode.OK, post.Status);
        await Jobs.PostDataAsync(Server, "dst-event", Data(JumpHour - 24, EndHour));
        Assert.Equal(HttpStatusCode.OK, (await Server.PostAsync("/_ml/anomaly_detectors/dst-event/_close")).Status);

        var shifted = await MinProbabilityAfterJumpAsync("dst-event");
        Assert.True(shifted > 0.05, $"with the event: min p after the jump {shifted}");
        var bucket = (await Server.GetAsync($"/_ml/anomaly_detectors/dst-event/results/buckets/{JumpMs}")).Json!["buckets"]![0]!;
        Assert.Equal("summer time", (string?)bucket["scheduled_events"]![0]);
    }

    private async Task<double> MinProbabilityAfterJumpAsync(string job)
    {
        var records = (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray();
        var min = 1.0;
        foreach (var r in records)
        {
            if ((long)r!["timestamp"]! >= JumpMs)
            {
                min = Math.Min(min, (double)r["probability"]!);
            }
        }

        return min;
    }

    private static string Job(string rules) => $$$"""
        {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"value"{{{rules}}}}]},
         "data_description":{"time_field":"time","time_format":"epoch_ms"}}
        """;

    /// <summary>
    /// Three records an hour: 100 plus a bump of 200 at local noon (sd 1.5 hours), noise sd 3; local time is UTC before
    /// <see cref="JumpHour"/>, UTC + 1 hour from it. Seeded per hour.
    /// </summary>
    private static string Data(int fromHour, int toHour)
    {
        var text = new StringBuilder();
        for (var h = fromHour; h < toHour; h++)
        {
            var random = new Random(1000 + h);
            var start = StartMs + (h * 3_600_000L);
            var local = start + (h >= JumpHour ? 3_600_000L : 0);
            var hour = (double)(local % 86_400_000 / 3_600_000);
            for (var k = 0; k < 3; k++)
            {
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                var noise = 3 * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                var v = 100 + (200 * Math.Exp(-0.5 * Math.Pow((hour - 12) / 1.5, 2))) + noise;
                text.Append(CultureInfo.InvariantCulture, $$"""{"time":{{start + (k * 60_000)}},"value":{{v.ToString("R", CultureInfo.InvariantCulture)}}}""").Append('\n');
            }
        }

        return text.ToString();
    }
}
