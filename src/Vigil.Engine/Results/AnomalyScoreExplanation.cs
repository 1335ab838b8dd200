using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A record's <c>anomaly_score_explanation</c>; unset (null) members are not written.</summary>
public sealed class AnomalyScoreExplanation
{
    /// <summary><c>spike</c> or <c>dip</c>.</summary>
    public string? AnomalyType { get; init; }

    /// <summary>Length of the anomaly in buckets.</summary>
    public int? AnomalyLength { get; init; }

    /// <summary>round(−log10 p_single) when the single-bucket probability is below 0.05.</summary>
    public int? SingleBucketImpact { get; init; }

    /// <summary>Multi-bucket impact, rounded.</summary>
    public int? MultiBucketImpact { get; init; }

    /// <summary>Impact of the anomaly-characteristics model.</summary>
    public int? AnomalyCharacteristicsImpact { get; init; }

    /// <summary>Lower end of the 95% interval.</summary>
    public double? LowerConfidenceBound { get; init; }

    /// <summary>Typical value.</summary>
    public double? TypicalValue { get; init; }

    /// <summary>Upper end of the 95% interval.</summary>
    public double? UpperConfidenceBound { get; init; }

    /// <summary>Whether a high-variance penalty applied.</summary>
    public bool? HighVariancePenalty { get; init; }

    /// <summary>Whether an incomplete-bucket penalty applied.</summary>
    public bool? IncompleteBucketPenalty { get; init; }

    /// <summary>Whether the distribution is multimodal.</summary>
    public bool? MultimodalDistribution { get; init; }

    /// <summary>Whether this is the first occurrence of the by value (rare).</summary>
    public bool? ByFieldFirstOccurrence { get; init; }

    /// <summary>Relative rarity of the by value (rare).</summary>
    public double? ByFieldRelativeRarity { get; init; }

    /// <summary>Writes the ES JSON object (field order as ES's <c>AnomalyScoreExplanation</c>).</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        if (AnomalyType is not null)
        {
            w.WriteString("anomaly_type", AnomalyType);
        }

        Int(w, "anomaly_length", AnomalyLength);
        Int(w, "single_bucket_impact", SingleBucketImpact);
        Int(w, "multi_bucket_impact", MultiBucketImpact);
        Int(w, "anomaly_characteristics_impact", AnomalyCharacteristicsImpact);
        Dbl(w, "lower_confidence_bound", LowerConfidenceBound);
        Dbl(w, "typical_value", TypicalValue);
        Dbl(w, "upper_confidence_bound", UpperConfidenceBound);
        Bool(w, "high_variance_penalty", HighVariancePenalty);
        Bool(w, "incomplete_bucket_penalty", IncompleteBucketPenalty);
        Bool(w, "multimodal_distribution", MultimodalDistribution);
        Bool(w, "by_field_first_occurrence", ByFieldFirstOccurrence);
        Dbl(w, "by_field_relative_rarity", ByFieldRelativeRarity);
        w.WriteEndObject();
    }

    private static void Int(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void Dbl(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void Bool(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v)
        {
            w.WriteBoolean(name, v);
        }
    }
}
