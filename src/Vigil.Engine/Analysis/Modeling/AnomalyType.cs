namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Direction of an anomaly, reported as ES's <c>anomaly_score_explanation.anomaly_type</c>.</summary>
public enum AnomalyType
{
    /// <summary>The bucket was not anomalous or not scored.</summary>
    None = 0,

    /// <summary>The actual value is above the typical value (ES "spike").</summary>
    Spike = 1,

    /// <summary>The actual value is below the typical value (ES "dip").</summary>
    Dip = 2,
}
