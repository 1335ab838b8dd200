namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Which side of the distribution counts as anomalous for a detector function.</summary>
/// <remarks>
/// Implementation note: mirrors ml-cpp's <c>maths_t::EProbabilityCalculation</c>: two-sided for
/// plain functions, one-sided above for <c>high_*</c> and <c>max</c>, below for <c>low_*</c> and <c>min</c>.
/// One-sided probabilities are on the same scale as two-sided ones (p = min(1, 2·(1−F))).
/// </remarks>
public enum Tail
{
    /// <summary>Both unusually high and unusually low values are anomalous.</summary>
    TwoSided = 0,

    /// <summary>Only unusually high values are anomalous (<c>high_*</c>, <c>max</c>).</summary>
    High = 1,

    /// <summary>Only unusually low values are anomalous (<c>low_*</c>, <c>min</c>).</summary>
    Low = 2,
}
