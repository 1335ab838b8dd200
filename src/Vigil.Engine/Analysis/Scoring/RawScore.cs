namespace Vigil.Engine.Analysis.Scoring;

/// <summary>Maps probabilities to ml-cpp's raw anomaly scores and back.</summary>
/// <remarks>
/// Implementation note: mirrors ml-cpp <c>CTools::anomalyScore</c> / <c>inverseAnomalyScore</c>:
/// 0 for p ≥ 0.05; (1/p − 20)/(10⁴ − 20) on [1e-4, 0.05); 1 + 49·(−ln p − ln 1e4)/(ln 1e50 − ln 1e4)
/// on [1e-50, 1e-4); 50 + 50·(−ln p − ln 1e50)/(−ln DBL_MIN − ln 1e50) below, reaching 100 at DBL_MIN.
/// </remarks>
public static class RawScore
{
    /// <summary>Probabilities at or above this score 0.</summary>
    public const double LargestSignificantProbability = 0.05;

    /// <summary>ml-cpp's <c>maximum_anomalous_probability</c>: raw scores are only fed to normalizers below this.</summary>
    public const double MaximumAnomalousProbability = 0.035;

    private const double SmallProbability = 1e-4;
    private const double MinusLogSmall = 9.210340371976184; // -ln 1e-4
    private const double MinusLogTiny = 115.12925464970229; // -ln 1e-50
    private const double MinusLogDblMin = 708.3964185322641; // -ln DBL_MIN

    /// <summary>Raw score in [0, 100] of a probability.</summary>
    public static double FromProbability(double p)
    {
        if (!(p < LargestSignificantProbability))
        {
            return 0.0;
        }

        if (p >= SmallProbability)
        {
            return (1.0 / p - 1.0 / LargestSignificantProbability) / (1.0 / SmallProbability - 1.0 / LargestSignificantProbability);
        }

        var minusLog = p > 0 ? -Math.Log(p) : MinusLogDblMin;
        if (minusLog <= MinusLogTiny)
        {
            return 1.0 + 49.0 * (minusLog - MinusLogSmall) / (MinusLogTiny - MinusLogSmall);
        }

        return Math.Min(100.0, 50.0 + 50.0 * (minusLog - MinusLogTiny) / (MinusLogDblMin - MinusLogTiny));
    }

    /// <summary>Probability whose raw score is <paramref name="score"/> (inverse of <see cref="FromProbability"/>).</summary>
    public static double ToProbability(double score)
    {
        if (score <= 0)
        {
            return LargestSignificantProbability;
        }

        if (score <= 1.0)
        {
            return 1.0 / (score * (1.0 / SmallProbability - 1.0 / LargestSignificantProbability) + 1.0 / LargestSignificantProbability);
        }

        if (score <= 50.0)
        {
            return Math.Exp(-(MinusLogSmall + (score - 1.0) * (MinusLogTiny - MinusLogSmall) / 49.0));
        }

        return Math.Max(Math.Exp(-(MinusLogTiny + (score - 50.0) * (MinusLogDblMin - MinusLogTiny) / 50.0)), double.Epsilon);
    }
}
