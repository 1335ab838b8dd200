using System.Text;
using System.Text.Json;
using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Tests.Configuration;

internal static class ConfigTestHelpers
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static JobConfig Create(string json, string id = "test-job") =>
        JobConfigParser.ParseForCreate(Utf8(json), id, Now, "8.15.0");

    public static ElasticsearchException CreateFails(string json, string id = "test-job") =>
        Assert.Throws<ElasticsearchException>(() => Create(json, id));

    public static string Write(JobConfig job, bool excludeGenerated = false) =>
        Encoding.UTF8.GetString(JobConfigWriter.ToUtf8(job, excludeGenerated));

    public static JsonElement Json(JobConfig job) => JsonDocument.Parse(Write(job)).RootElement;

    /// <summary>Replaces single quotes with double quotes so JSON can be written inline.</summary>
    public static string Q(string s) => s.Replace('\'', '"');
}
