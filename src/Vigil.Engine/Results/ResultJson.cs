using System.Globalization;
using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>Helpers shared by the result documents' JSON writers.</summary>
internal static class ResultJson
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "job_id", "result_type", "timestamp", "timestamp_string", "bucket_span", "is_interim", "probability",
        "record_score", "initial_record_score", "anomaly_score", "initial_anomaly_score", "detector_index",
        "by_field_name", "by_field_value", "partition_field_name", "partition_field_value", "over_field_name",
        "over_field_value", "function", "function_description", "typical", "actual", "field_name", "causes",
        "influencers", "influencer_field_name", "influencer_field_value", "influencer_score",
        "initial_influencer_score", "multi_bucket_impact", "event_count", "bucket_influencers",
        "processing_time_ms", "raw_anomaly_score", "model_feature", "model_lower", "model_upper", "model_median",
    };

    /// <summary>
    /// Whether an input field name may be written as an extra top-level key (ES skips names that clash
    /// with result fields, <c>ReservedFieldNames.isValidFieldName</c>).
    /// </summary>
    public static bool IsValidExtraField(string name) => name.Length > 0 && !Reserved.Contains(name);

    /// <summary>
    /// Writes a time field as ES's <c>XContentBuilder.timeField</c> does: the epoch milliseconds, preceded by
    /// <c>&lt;name&gt;_string</c> (ISO-8601, UTC, milliseconds) when <paramref name="human"/> is set.
    /// </summary>
    public static void WriteTime(Utf8JsonWriter w, bool human, string name, long epochMs)
    {
        if (human)
        {
            var text = DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime
                .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            w.WriteString(name + "_string", text);
        }

        w.WriteNumber(name, epochMs);
    }

    /// <summary>Writes a list of doubles as a JSON array.</summary>
    public static void WriteDoubles(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WriteStartArray(name);
        for (var i = 0; i < values.Count; i++)
        {
            w.WriteNumberValue(values[i]);
        }

        w.WriteEndArray();
    }
}
