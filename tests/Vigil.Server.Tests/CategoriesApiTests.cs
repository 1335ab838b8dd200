using System.Net;
using System.Text;
using System.Text.Json;
using Vigil.Server.Tests.Support;

namespace Vigil.Server.Tests;

public sealed class CategoriesApiTests
{
    private const long Start = 1403481600; // 2014-06-23T00:00:00Z

    private const string Job = """
        {
          "analysis_config": {
            "bucket_span": "1h",
            "categorization_field_name": "message",
            "detectors": [{"function": "count", "by_field_name": "mlcategory"}]
          },
          "data_description": {"time_field": "time", "time_format": "epoch"}
        }
        """;

    private static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank"];

    private static string Message(Random r, int template) => template switch
    {
        0 => $"User {Users[r.Next(Users.Length)]} logged in from 10.0.{r.Next(256)}.{r.Next(256)}",
        1 => $"Connection to database {Users[r.Next(Users.Length)]} timed out after {r.Next(5000)} ms",
        _ => $"Disk usage on volume vol{r.Next(40)} at {r.Next(100)} percent",
    };

    /// <summary>Hours of messages: 10 per template per hour (template 1 × 30 in <paramref name="burstHour"/>), one record per minute slot.</summary>
    private static (string Body, int Count) Data(int fromHour, int hours, int burstHour, Random r)
    {
        var sb = new StringBuilder();
        var count = 0;
        for (var h = fromHour; h < fromHour + hours; h++)
        {
            var second = 0;
            for (var template = 0; template < 3; template++)
            {
                var n = h == burstHour && template == 1 ? 300 : 10;
                for (var i = 0; i < n; i++)
                {
                    var time = Start + (h * 3600L) + (second++ % 3600);
                    sb.Append("{\"time\":").Append(time).Append(",\"message\":").Append(JsonSerializer.Serialize(Message(r, template))).Append("}\n");
                    count++;
                }
            }
        }

        return (sb.ToString(), count);
    }

    [Fact]
    public async Task Categories_are_served_paged_counted_in_stats_and_survive_a_restart()
    {
        await using var server = await VigilTestServer.StartAsync();
        await Jobs.CreateOpenAsync(server, "cats", Job);
        var r = new Random(42);
        var (body, count) = Data(0, 30, 26, r);
        var posted = await Jobs.PostDataAsync(server, "cats", body + "{\"time\":" + (Start + (30 * 3600)) + ",\"other\":1}\n");
        Assert.Equal(HttpStatusCode.Accepted, posted.Status);

        var all = await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories");
        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Equal(3, (int)all.Json!["count"]!);
        var first = all.Json["categories"]![0]!.AsObject();
        Assert.Equal(
            ["job_id", "category_id", "terms", "regex", "max_matching_length", "examples", "grok_pattern", "num_matches", "result_type",
                "mlcategory"],
            first.Select(p => p.Key));
        Assert.Equal("cats", (string?)first["job_id"]);
        Assert.Equal(1, (int)first["category_id"]!);
        Assert.Equal("User logged in from", (string?)first["terms"]);
        Assert.Equal(".*?User.+?logged.+?in.+?from.*", (string?)first["regex"]);
        Assert.Equal(".*?User.+?logged.+?in.+?from.+?%{IP:ipaddress}.*", (string?)first["grok_pattern"]);
        Assert.Equal(300, (int)first["num_matches"]!);
        Assert.Equal(4, first["examples"]!.AsArray().Count);
        Assert.Equal("category_definition", (string?)first["result_type"]);
        Assert.Equal("1", (string?)first["mlcategory"]);
        Assert.Equal("Connection to database timed out after ms", (string?)all.Json["categories"]![1]!["terms"]);
        Assert.Equal(590, (int)all.Json["categories"]![1]!["num_matches"]!);

        // The burst hour's top record is the burst template's category.
        var records = await server.GetAsync("/_ml/anomaly_detectors/cats/results/records?sort=record_score&desc=true&size=1");
        var top = records.Json!["records"]![0]!;
        Assert.Equal(Start * 1000 + (26 * 3600_000L), (long)top["timestamp"]!);
        Assert.Equal("mlcategory", (string?)top["by_field_name"]);
        Assert.Equal("2", (string?)top["by_field_value"]);

        var one = await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories/2");
        Assert.Equal(1, (int)one.Json!["count"]!);
        Assert.Equal(2, (int)one.Json["categories"]![0]!["category_id"]!);
        var paged = await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories?from=1&size=1");
        Assert.Equal(3, (int)paged.Json!["count"]!);
        Assert.Equal(2, (int)Assert.Single(paged.Json["categories"]!.AsArray())!["category_id"]!);
        var bodyPaged = await server.PostAsync("/_ml/anomaly_detectors/cats/results/categories", "{\"page\":{\"from\":2,\"size\":5}}");
        Assert.Equal(3, (int)Assert.Single(bodyPaged.Json!["categories"]!.AsArray())!["category_id"]!);

        var stats = (await server.GetAsync("/_ml/anomaly_detectors/cats/_stats")).Json!["jobs"]![0]!["model_size_stats"]!;
        Assert.Equal(count, (int)stats["categorized_doc_count"]!);
        Assert.Equal(3, (int)stats["total_category_count"]!);
        Assert.Equal(3, (int)stats["frequent_category_count"]!);
        Assert.Equal(0, (int)stats["rare_category_count"]!);
        Assert.Equal(0, (int)stats["dead_category_count"]!);
        Assert.Equal(0, (int)stats["failed_category_count"]!);
        Assert.Equal("ok", (string?)stats["categorization_status"]);

        var before = all.Text;
        await server.RestartAsync();
        Assert.Equal(before, (await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories")).Text);

        // The reopened job keeps its categories and ids: a known template joins category 3, a new one is category 4.
        var more = "{\"time\":" + (Start + (31 * 3600)) + ",\"message\":\"Disk usage on volume vol9 at 12 percent\"}\n"
            + "{\"time\":" + (Start + (31 * 3600) + 1) + ",\"message\":\"Kernel panic while mounting root filesystem\"}\n";
        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(server, "cats", more)).Status);
        var afterRestart = await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories");
        Assert.Equal(4, (int)afterRestart.Json!["count"]!);
        Assert.Equal(301, (int)afterRestart.Json["categories"]![2]!["num_matches"]!);
        Assert.Equal("Kernel panic while mounting root filesystem", (string?)afterRestart.Json["categories"]![3]!["terms"]);
        var statsAfter = (await server.GetAsync("/_ml/anomaly_detectors/cats/_stats")).Json!["jobs"]![0]!["model_size_stats"]!;
        Assert.Equal(count + 2, (int)statsAfter["categorized_doc_count"]!);
        Assert.Equal(1, (int)statsAfter["rare_category_count"]!);
        var legacy = await server.GetAsync("/_xpack/ml/anomaly_detectors/cats/results/categories/4");
        Assert.Equal(4, (int)legacy.Json!["categories"]![0]!["category_id"]!);

        // Deleting the job deletes its categories: a new job of the same id starts with none.
        Assert.Equal(HttpStatusCode.OK, (await server.PostAsync("/_ml/anomaly_detectors/cats/_close")).Status);
        Assert.Equal(HttpStatusCode.OK, (await server.DeleteAsync("/_ml/anomaly_detectors/cats")).Status);
        await Jobs.CreateAsync(server, "cats", Job);
        Assert.Equal("{\"count\":0,\"categories\":[]}", (await server.GetAsync("/_ml/anomaly_detectors/cats/results/categories")).Text);
    }

    [Fact]
    public async Task Categories_answer_elasticsearch_errors_and_empty_pages()
    {
        await using var server = await VigilTestServer.StartAsync();
        var missing = await server.GetAsync("/_ml/anomaly_detectors/nope/results/categories");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("resource_not_found_exception", missing.ErrorType);
        Assert.Equal("No known job with id 'nope'", missing.ErrorReason);

        await Jobs.CreateAsync(server, "cats-errors", Job);
        var paging = await server.GetAsync("/_ml/anomaly_detectors/cats-errors/results/categories/1?from=0");
        Assert.Equal(HttpStatusCode.BadRequest, paging.Status);
        Assert.Equal("action_request_validation_exception", paging.ErrorType);
        Assert.Equal("Validation Failed: 1: Params [from, size] are incompatible with [category_id].;", paging.ErrorReason);
        var bodyPaging = await server.PostAsync("/_ml/anomaly_detectors/cats-errors/results/categories/1", "{\"page\":{\"size\":1}}");
        Assert.Equal(HttpStatusCode.BadRequest, bodyPaging.Status);
        var unknownField = await server.PostAsync("/_ml/anomaly_detectors/cats-errors/results/categories/1", "{\"from\":0}");
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.Status);

        var none = await server.GetAsync("/_ml/anomaly_detectors/cats-errors/results/categories/7");
        Assert.Equal(HttpStatusCode.OK, none.Status);
        Assert.Equal("{\"count\":0,\"categories\":[]}", none.Text);
        var partition = await server.GetAsync("/_ml/anomaly_detectors/cats-errors/results/categories?partition_field_value=x");
        Assert.Equal(0, (int)partition.Json!["count"]!);
    }

    [Fact]
    public async Task Per_partition_categories_carry_their_partition()
    {
        await using var server = await VigilTestServer.StartAsync();
        const string PerPartition = """
            {
              "analysis_config": {
                "bucket_span": "1h",
                "categorization_field_name": "message",
                "per_partition_categorization": {"enabled": true},
                "detectors": [{"function": "count", "by_field_name": "mlcategory", "partition_field_name": "service"}]
              },
              "data_description": {"time_field": "time", "time_format": "epoch"}
            }
            """;
        await Jobs.CreateOpenAsync(server, "cats-pp", PerPartition);
        var data = new StringBuilder();
        string[] services = ["web", "db", "web"];
        for (var i = 0; i < services.Length; i++)
        {
            data.Append("{\"time\":").Append(Start + i).Append(",\"service\":\"").Append(services[i])
                .Append("\",\"message\":\"Service started on node n").Append(i).Append("x\"}\n");
        }

        Assert.Equal(HttpStatusCode.Accepted, (await Jobs.PostDataAsync(server, "cats-pp", data.ToString())).Status);
        var web = await server.GetAsync("/_ml/anomaly_detectors/cats-pp/results/categories?partition_field_value=web");
        var category = Assert.Single(web.Json!["categories"]!.AsArray())!.AsObject();
        Assert.Equal(
            ["job_id", "category_id", "partition_field_name", "partition_field_value", "terms", "regex", "max_matching_length", "examples",
                "grok_pattern", "num_matches", "service", "result_type", "mlcategory"],
            category.Select(p => p.Key));
        Assert.Equal(".*?Service.+?started.+?on.+?node.*", (string?)category["grok_pattern"]);
        Assert.Equal(2, (int)category["num_matches"]!);
        Assert.Equal("web", (string?)category["service"]);
        var db = await server.GetAsync("/_ml/anomaly_detectors/cats-pp/results/categories?partition_field_value=db");
        Assert.Equal(2, (int)Assert.Single(db.Json!["categories"]!.AsArray())!["category_id"]!);
    }
}
