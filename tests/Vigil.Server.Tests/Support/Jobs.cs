namespace Vigil.Server.Tests.Support;

/// <summary>Request bodies shared by the job tests.</summary>
public static class Jobs
{
    /// <summary>A job like the YAML tests' farequote jobs: mean(responsetime) by airline, 1h, epoch seconds.</summary>
    public const string Farequote = """
        {
          "description": "farequote",
          "analysis_config": {
            "bucket_span": "1h",
            "detectors": [{"function": "mean", "field_name": "responsetime", "by_field_name": "airline"}]
          },
          "data_description": {"time_field": "time", "time_format": "epoch"}
        }
        """;

    /// <summary>Creates a farequote job and returns its id.</summary>
    public static async Task<string> CreateAsync(VigilTestServer server, string id, string? body = null)
    {
        var reply = await server.PutAsync($"/_ml/anomaly_detectors/{id}", body ?? Farequote);
        Assert.True(reply.Status == System.Net.HttpStatusCode.OK, reply.ToString());
        return id;
    }

    /// <summary>Creates and opens a farequote job.</summary>
    public static async Task<string> CreateOpenAsync(VigilTestServer server, string id, string? body = null)
    {
        await CreateAsync(server, id, body);
        var open = await server.PostAsync($"/_ml/anomaly_detectors/{id}/_open");
        Assert.True(open.Status == System.Net.HttpStatusCode.OK, open.ToString());
        return id;
    }

    /// <summary>Posts NDJSON to a job.</summary>
    public static Task<EsReply> PostDataAsync(VigilTestServer server, string id, string ndjson) =>
        server.SendAsync(HttpMethod.Post, $"/_ml/anomaly_detectors/{id}/_data", ndjson, "application/x-ndjson");
}
