using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>An <c>influencer</c> result: one per influencer field value that influenced an anomaly in a bucket.</summary>
public sealed class InfluencerDocument
{
    /// <summary>Job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Influencer field name.</summary>
    public required string InfluencerFieldName { get; init; }

    /// <summary>Influencer field value.</summary>
    public required string InfluencerFieldValue { get; init; }

    /// <summary>Normalized score (renormalization may lower it).</summary>
    public double InfluencerScore { get; set; }

    /// <summary>Normalized score when first written.</summary>
    public double InitialInfluencerScore { get; set; }

    /// <summary>Probability.</summary>
    public double Probability { get; init; }

    /// <summary>
    /// Not part of the API document: the influencer's normalizer scope (its value) (for renormalization), or null
    /// when unknown.
    /// </summary>
    public int? NormalizerScope { get; init; }

    /// <summary>
    /// Not part of the API document: how many results the normalizer scored in the bucket (the family of the
    /// family-wise absolute-probability ceiling, see <see cref="Analysis.Scoring.ScoreNormalizer"/>); null when unknown.
    /// </summary>
    public int? NormalizerFamily { get; init; }

    /// <summary>Bucket span in seconds.</summary>
    public long BucketSpan { get; init; }

    /// <summary>Whether this is an interim result.</summary>
    public bool IsInterim { get; init; }

    /// <summary>Bucket start, epoch milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>Writes the ES JSON object (field order as ES's <c>Influencer.toXContent</c>).</summary>
    public void WriteTo(Utf8JsonWriter w, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        w.WriteString("result_type", "influencer");
        w.WriteString("influencer_field_name", InfluencerFieldName);
        w.WriteString("influencer_field_value", InfluencerFieldValue);
        if (ResultJson.IsValidExtraField(InfluencerFieldName))
        {
            w.WriteString(InfluencerFieldName, InfluencerFieldValue);
        }

        w.WriteNumber("influencer_score", InfluencerScore);
        w.WriteNumber("initial_influencer_score", InitialInfluencerScore);
        w.WriteNumber("probability", Probability);
        w.WriteNumber("bucket_span", BucketSpan);
        w.WriteBoolean("is_interim", IsInterim);
        ResultJson.WriteTime(w, human, "timestamp", Timestamp);
        w.WriteEndObject();
    }
}
