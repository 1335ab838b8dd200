using System.Globalization;
using System.Net;
using System.Text;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class FiltersApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z
    private const int AnomalyHour = (8 * 24) + 5;

    private VigilTestServer Server => fixture.Server;

    [Fact]
    public async Task Put_filter_returns_it_with_sorted_items_and_no_description_when_unset()
    {
        var put = await Server.PutAsync("/_ml/filters/crud-put", """{"items":["xyz","abc","abc"]}""");

        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("""{"filter_id":"crud-put","items":["abc","xyz"]}""", put.Text);
        var get = await Server.GetAsync("/_ml/filters/crud-put");
        Assert.Equal("""{"count":1,"filters":[{"filter_id":"crud-put","items":["abc","xyz"]}]}""", get.Text);
    }

    [Fact]
    public async Task Get_filters_sorts_by_id_pages_and_resolves_expressions()
    {
        await Server.PutAsync("/_ml/filters/list-b", """{"description":"second","items":["123","lmnop"]}""");
        await Server.PutAsync("/_ml/filters/list-a", """{"items":["z"]}""");
        await Server.PutAsync("/_ml/filters/list-c", """{"items":[]}""");

        var all = (await Server.GetAsync("/_ml/filters")).Json!;
        var ids = all["filters"]!.AsArray().Select(f => (string?)f!["filter_id"]).ToList();
        Assert.Equal(ids.Count, (int)all["count"]!);
        Assert.Equal(ids.Order(StringComparer.Ordinal).ToList(), ids);
        Assert.Contains("list-b", ids);

        var pattern = (await Server.GetAsync("/_ml/filters/list-*?from=1&size=1")).Json!;
        Assert.Equal(3, (int)pattern["count"]!);
        var page = Assert.Single(pattern["filters"]!.AsArray());
        Assert.Equal("list-b", (string?)page!["filter_id"]);
        Assert.Equal("second", (string?)page["description"]);

        var listed = (await Server.GetAsync("/_ml/filters/list-c,list-a")).Json!;
        Assert.Equal(["list-a", "list-c"], listed["filters"]!.AsArray().Select(f => (string)f!["filter_id"]!).ToList());

        var none = (await Server.GetAsync("/_ml/filters/nothing-matches-*")).Json!;
        Assert.Equal(0, (int)none["count"]!);
        Assert.Empty(none["filters"]!.AsArray());
    }

    [Fact]
    public async Task Filter_errors_have_the_elasticsearch_types_statuses_and_reasons()
    {
        await Server.PutAsync("/_ml/filters/errors-f", """{"items":["a"]}""");

        var twice = await Server.PutAsync("/_ml/filters/errors-f", """{"items":["b"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, twice.Status);
        Assert.Equal("resource_already_exists_exception", twice.ErrorType);
        Assert.Equal("A filter with id [errors-f] already exists", twice.ErrorReason);

        var invalid = await Server.PutAsync("/_ml/filters/Invalid", """{"description":"upper case"}""");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal("status_exception", invalid.ErrorType);
        Assert.Equal("Invalid filter_id; 'Invalid' can contain lowercase alphanumeric (a-z and 0-9), hyphens or underscores; must start and end with alphanumeric",
            invalid.ErrorReason);

        var mismatch = await Server.PutAsync("/_ml/filters/uri_id", """{"filter_id":"body_id","items":["abc"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.Status);
        Assert.Equal("illegal_argument_exception", mismatch.ErrorType);
        Assert.Equal("Inconsistent filter_id; 'body_id' specified in the body differs from 'uri_id' specified as a URL argument", mismatch.ErrorReason);

        var unknown = await Server.PutAsync("/_ml/filters/errors-g", """{"itemz":["a"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal("x_content_parse_exception", unknown.ErrorType);
        Assert.StartsWith("[1:2] [filter] unknown field [itemz]", unknown.ErrorReason, StringComparison.Ordinal);

        var missing = await Server.GetAsync("/_ml/filters/do_not_exist");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("resource_not_found_exception", missing.ErrorType);
        Assert.Equal("No filter with id [do_not_exist] exists", missing.ErrorReason);

        var badSize = await Server.GetAsync("/_ml/filters?size=-1");
        Assert.Equal(HttpStatusCode.BadRequest, badSize.Status);
        Assert.Equal("illegal_argument_exception", badSize.ErrorType);
        Assert.Equal("Parameter [size] cannot be < 0", badSize.ErrorReason);

        var updateMissing = await Server.PostAsync("/_ml/filters/missing_filter/_update", "{}");
        Assert.Equal(HttpStatusCode.NotFound, updateMissing.Status);
        Assert.Equal("No filter with id [missing_filter] exists", updateMissing.ErrorReason);

        var deleteMissing = await Server.DeleteAsync("/_ml/filters/does_not_exist");
        Assert.Equal(HttpStatusCode.NotFound, deleteMissing.Status);
        Assert.Equal("resource_not_found_exception", deleteMissing.ErrorType);
        Assert.Equal("Could not delete filter with ID [does_not_exist] because it does not exist", deleteMissing.ErrorReason);
    }

    [Fact]
    public async Task Update_changes_description_and_items_and_refuses_removing_an_absent_item()
    {
        await Server.PutAsync("/_ml/filters/update-f", """{"description":"old description","items":["a","b"]}""");

        var updated = await Server.PostAsync("/_ml/filters/update-f/_update",
            """{"description":"new description","add_items":["c","d"],"remove_items":["a"]}""");

        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal("""{"filter_id":"update-f","description":"new description","items":["b","c","d"]}""", updated.Text);
        Assert.Equal(updated.Text, (await Server.GetAsync("/_ml/filters/update-f")).Json!["filters"]![0]!.ToJsonString());

        var absent = await Server.PostAsync("/_ml/filters/update-f/_update", """{"remove_items":["not present item"]}""");
        Assert.Equal(HttpStatusCode.BadRequest, absent.Status);
        Assert.Equal("status_exception", absent.ErrorType);
        Assert.Equal("Cannot remove item [not present item] as it is not present in filter [update-f]", absent.ErrorReason);
        Assert.Equal(updated.Text, (await Server.GetAsync("/_ml/filters/update-f")).Json!["filters"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task A_filter_used_by_a_job_cannot_be_deleted_and_a_job_cannot_name_a_missing_filter()
    {
        var missingFilter = await Server.PutAsync("/_ml/anomaly_detectors/filter-missing-job", ScopedJob("nope", "include"));
        Assert.Equal(HttpStatusCode.NotFound, missingFilter.Status);
        Assert.Equal("resource_not_found_exception", missingFilter.ErrorType);
        Assert.Equal("No filter with id [nope] exists", missingFilter.ErrorReason);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/anomaly_detectors/filter-missing-job")).Status);

        await Server.PutAsync("/_ml/filters/in-use", """{"items":["AAL"]}""");
        await Jobs.CreateAsync(Server, "filter-crud", ScopedJob("in-use", "include"));
        await Jobs.CreateAsync(Server, "filter-crud-2", ScopedJob("in-use", "exclude"));

        var refused = await Server.DeleteAsync("/_ml/filters/in-use");
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("status_exception", refused.ErrorType);
        Assert.Equal("Cannot delete filter [in-use] currently used by jobs [filter-crud, filter-crud-2]", refused.ErrorReason);

        await Server.DeleteAsync("/_ml/anomaly_detectors/filter-crud");
        await Server.DeleteAsync("/_ml/anomaly_detectors/filter-crud-2");
        var deleted = await Server.DeleteAsync("/_ml/filters/in-use");
        Assert.Equal(HttpStatusCode.OK, deleted.Status);
        Assert.True((bool)deleted.Json!["acknowledged"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Server.GetAsync("/_ml/filters/in-use")).Status);
    }

    [Fact]
    public async Task A_scoped_skip_result_rule_drops_the_records_of_the_airlines_in_the_filter()
    {
        await Server.PutAsync("/_ml/filters/skip-aal", """{"items":["AAL"]}""");
        await Server.PutAsync("/_ml/filters/skip-a1", """{"items":["A1"]}""");
        await Jobs.CreateOpenAsync(Server, "scoped-aal", ScopedJob("skip-aal", "include"));
        await Jobs.CreateOpenAsync(Server, "scoped-a1", ScopedJob("skip-a1", "include"));
        var data = Farequote(0, 10 * 24);

        await Jobs.PostDataAsync(Server, "scoped-aal", data);
        await Jobs.PostDataAsync(Server, "scoped-a1", data);
        await Server.PostAsync("/_ml/anomaly_detectors/scoped-aal/_close");
        await Server.PostAsync("/_ml/anomaly_detectors/scoped-a1/_close");

        var skipped = await RecordsAsync("scoped-aal");
        var kept = await RecordsAsync("scoped-a1");
        Assert.DoesNotContain(skipped, r => (string?)r!["by_field_value"] == "AAL");
        Assert.Contains(kept, r => (string?)r!["by_field_value"] == "AAL" && (long)r!["timestamp"]! == AnomalyTimeMs);
        Assert.DoesNotContain(kept, r => (string?)r!["by_field_value"] == "A1");
    }

    [Fact]
    public async Task Updating_a_filter_reaches_an_open_job_from_its_next_bucket()
    {
        // Two identical jobs; only live-f, the filter of the first, gets AAL while both are open.
        await Server.PutAsync("/_ml/filters/live-f", """{"items":["A1"]}""");
        await Server.PutAsync("/_ml/filters/still-f", """{"items":["A1"]}""");
        await Jobs.CreateOpenAsync(Server, "live-filter", ScopedJob("live-f", "include"));
        await Jobs.CreateOpenAsync(Server, "still-filter", ScopedJob("still-f", "include"));
        await Jobs.PostDataAsync(Server, "live-filter", Farequote(0, 8 * 24));
        await Jobs.PostDataAsync(Server, "still-filter", Farequote(0, 8 * 24));

        var update = await Server.PostAsync("/_ml/filters/live-f/_update", """{"add_items":["AAL"]}""");
        Assert.Equal(HttpStatusCode.OK, update.Status);
        await Jobs.PostDataAsync(Server, "live-filter", Farequote(8 * 24, 10 * 24));
        await Jobs.PostDataAsync(Server, "still-filter", Farequote(8 * 24, 10 * 24));
        await Server.PostAsync("/_ml/anomaly_detectors/live-filter/_close");
        await Server.PostAsync("/_ml/anomaly_detectors/still-filter/_close");

        var updatedAt = (Start + (8 * 24 * 3600L)) * 1000;
        var aal = (await RecordsAsync("live-filter")).Where(r => (string?)r!["by_field_value"] == "AAL").Select(r => (long)r!["timestamp"]!).ToList();
        Assert.True(aal.All(t => t < updatedAt), string.Join(",", aal));
        Assert.Contains(await RecordsAsync("still-filter"), r => (string?)r!["by_field_value"] == "AAL" && (long)r!["timestamp"]! == AnomalyTimeMs);
    }

    [Fact]
    public async Task Rules_added_by_a_job_update_while_open_apply_from_the_next_bucket_and_survive_close()
    {
        await Server.PutAsync("/_ml/filters/updated-rules-f", """{"items":["AAL"]}""");
        await Jobs.CreateOpenAsync(Server, "updated-rules", Jobs.Farequote);
        await Jobs.PostDataAsync(Server, "updated-rules", Farequote(0, 8 * 24));

        var update = await Server.PostAsync("/_ml/anomaly_detectors/updated-rules/_update", """
            {"description":"rules added while open","detectors":[{"detector_index":0,"custom_rules":[{"actions":["skip_result"],
              "scope":{"airline":{"filter_id":"updated-rules-f"}}}]}]}
            """);
        Assert.Equal(HttpStatusCode.OK, update.Status);
        await Jobs.PostDataAsync(Server, "updated-rules", Farequote(8 * 24, 10 * 24));
        await Server.PostAsync("/_ml/anomaly_detectors/updated-rules/_close");

        var updatedAt = (Start + (8 * 24 * 3600L)) * 1000;
        var aal = (await RecordsAsync("updated-rules")).Where(r => (string?)r!["by_field_value"] == "AAL").Select(r => (long)r!["timestamp"]!).ToList();
        Assert.True(aal.All(t => t < updatedAt), string.Join(",", aal));
        var job = (await Server.GetAsync("/_ml/anomaly_detectors/updated-rules")).Json!["jobs"]![0]!;
        Assert.Equal("rules added while open", (string?)job["description"]);
        Assert.Equal("updated-rules-f",
            (string?)job["analysis_config"]!["detectors"]![0]!["custom_rules"]![0]!["scope"]!["airline"]!["filter_id"]);
    }

    [Fact]
    public async Task Filters_and_jobs_with_scoped_rules_survive_a_restart()
    {
        await using var server = await VigilTestServer.StartAsync();
        await server.PutAsync("/_ml/filters/persisted", """{"description":"kept","items":["AAL","A2"]}""");
        await Jobs.CreateOpenAsync(server, "persisted-rules", ScopedJob("persisted", "include"));
        await Jobs.PostDataAsync(server, "persisted-rules", Farequote(0, 8 * 24));
        var before = (await server.GetAsync("/_ml/filters/persisted")).Text;

        await server.RestartAsync();

        Assert.Equal(before, (await server.GetAsync("/_ml/filters/persisted")).Text);
        var stats = (await server.GetAsync("/_ml/anomaly_detectors/persisted-rules/_stats")).Json!["jobs"]![0]!;
        Assert.Equal("opened", (string?)stats["state"]);
        await Jobs.PostDataAsync(server, "persisted-rules", Farequote(8 * 24, 10 * 24));
        await server.PostAsync("/_ml/anomaly_detectors/persisted-rules/_close");
        var records = (await server.GetAsync("/_ml/anomaly_detectors/persisted-rules/results/records?size=10000")).Json!["records"]!.AsArray();
        Assert.DoesNotContain(records, r => (string?)r!["by_field_value"] == "AAL");
    }

    private static long AnomalyTimeMs => (Start + (AnomalyHour * 3600L)) * 1000;

    private static string ScopedJob(string filterId, string filterType) => $$$$"""
        {"analysis_config":{"bucket_span":"1h","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline",
          "custom_rules":[{"actions":["skip_result"],"scope":{"airline":{"filter_id":"{{{{filterId}}}}","filter_type":"{{{{filterType}}}}"}}}]}]},
         "data_description":{"time_field":"time","time_format":"epoch"}}
        """;

    private async Task<List<System.Text.Json.Nodes.JsonNode?>> RecordsAsync(string job) =>
        [.. (await Server.GetAsync($"/_ml/anomaly_detectors/{job}/results/records?size=10000")).Json!["records"]!.AsArray()];

    /// <summary>
    /// Ten airlines, one record each per 10 minutes, hours <paramref name="fromHour"/> to <paramref name="toHour"/>;
    /// AAL's response time is ten times higher during hour <see cref="AnomalyHour"/>. Seeded per hour.
    /// </summary>
    private static string Farequote(int fromHour, int toHour)
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
                    if (a == 0 && hour == AnomalyHour)
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
