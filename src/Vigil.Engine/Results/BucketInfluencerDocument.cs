using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A <c>bucket_influencer</c> (kept inside its bucket's <c>bucket_influencers</c>).</summary>
public sealed class BucketInfluencerDocument
{
    /// <summary>The influencer field name used for the whole-bucket entry.</summary>
    public const string BucketTime = "bucket_time";

    /// <summary>Job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Influencer field name, or <see cref="BucketTime"/>.</summary>
    public required string InfluencerFieldName { get; init; }

    /// <summary>Normalized score when first written.</summary>
    public double InitialAnomalyScore { get; set; }

    /// <summary>Normalized score (renormalization may lower it).</summary>
    public double AnomalyScore { get; set; }

    /// <summary>Raw (un-normalized) score.</summary>
    public double RawAnomalyScore { get; init; }

    /// <summary>Probability.</summary>
    public double Probability { get; init; }

    /// <summary>Bucket start, epoch milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>Bucket span in seconds.</summary>
    public long BucketSpan { get; init; }

    /// <summary>Whether this is an interim result.</summary>
    public bool IsInterim { get; init; }

    /// <summary>Writes the ES JSON object.</summary>
    public void WriteTo(Utf8JsonWriter w, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        w.WriteString("result_type", "bucket_influencer");
        w.WriteString("influencer_field_name", InfluencerFieldName);
        w.WriteNumber("initial_anomaly_score", InitialAnomalyScore);
        w.WriteNumber("anomaly_score", AnomalyScore);
        w.WriteNumber("raw_anomaly_score", RawAnomalyScore);
        w.WriteNumber("probability", Probability);
        ResultJson.WriteTime(w, human, "timestamp", Timestamp);
        w.WriteNumber("bucket_span", BucketSpan);
        w.WriteBoolean("is_interim", IsInterim);
        w.WriteEndObject();
    }
}
