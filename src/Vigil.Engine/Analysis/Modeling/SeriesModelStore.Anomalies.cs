namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Anomaly characteristics of <see cref="SeriesModelStore"/>.</summary>
/// <remarks>
/// Implementation note: mirrors the idea of ml-cpp's <c>CTimeSeriesAnomalyModel</c>. An anomaly
/// opens when the joint probability drops below 0.1 and lasts while it stays there. It is described
/// by (ln length, ln mean −ln p), and a model of those features is kept per direction from the
/// series' earlier anomalies (exponentially weighted means and variances). The probability of a
/// bucket inside an anomaly is blended with p_a, the probability of an anomaly at least this long
/// or this large: with a = −ln 0.1, b = −ln 1e-4, x = max((b + ln p)/(b − a), 0),
/// y = 1 − b/(b − ln p_a) and α = ½(1 − x + x·y), ln p ← (1 − α)·ln p + α·ln p_a. A series whose
/// anomalies all look alike (recurring spikes of similar size) thus scores its next similar one
/// lower, while a longer or larger one keeps its low probability. Until a direction has seen
/// three anomalies the probability is left as is.
/// </remarks>
public sealed partial class SeriesModelStore
{
    /// <summary>Per series: for each sign (count, mean L, mean M, var L, var M).</summary>
    private const int AnomalyModelStride = 10;
    private const double LogAnomalyOpen = -2.302585092994046; // ln 0.1
    private const double AnomalyA = 2.302585092994046; // −ln 0.1
    private const double AnomalyB = 9.210340371976184; // −ln 1e-4
    private const int FlagAnomalyNegative = 16;

    /// <remarks><paramref name="readOnly"/>: the same result, without recording the bucket in the anomaly history.</remarks>
    private double ApplyAnomalyModel(int s, double logP, double z, bool readOnly)
    {
        var length = _anomalyLength[s];
        if (logP >= LogAnomalyOpen)
        {
            if (length > 0 && !readOnly)
            {
                CloseAnomaly(s);
            }

            return logP;
        }

        // The sign is set when an anomaly opens.
        var negative = length == 0 ? z < 0 : (_flags[s] & FlagAnomalyNegative) != 0;
        length++;
        var sum = _anomalySum[s] + -logP;
        if (!readOnly)
        {
            _flags[s] = negative ? _flags[s] | FlagAnomalyNegative : _flags[s] & ~FlagAnomalyNegative;
            _anomalyLength[s] = length;
            _anomalySum[s] = sum;
        }

        var sign = negative ? 1 : 0;
        var m = _anomalyModel.AsSpan(s * AnomalyModelStride + sign * 5, 5);
        if (m[0] < 3)
        {
            return logP;
        }

        var featureL = Math.Log(length);
        var featureM = Math.Log(sum / length);
        var dl = Math.Max(0.0, featureL - m[1]);
        var dm = Math.Max(0.0, featureM - m[2]);
        var d2 = dl * dl / Math.Max(m[3], 0.05) + dm * dm / Math.Max(m[4], 0.05);
        var logPa = -0.5 * d2;
        var x = Math.Max((AnomalyB + logP) / (AnomalyB - AnomalyA), 0.0);
        var y = 1.0 - AnomalyB / (AnomalyB - logPa);
        var alpha = 0.5 * (1.0 - x + x * y);
        return Math.Min(0.0, (1 - alpha) * logP + alpha * logPa);
    }

    private void CloseAnomaly(int s)
    {
        var length = _anomalyLength[s];
        var featureL = Math.Log(length);
        var featureM = Math.Log(_anomalySum[s] / length);
        var sign = (_flags[s] & FlagAnomalyNegative) != 0 ? 1 : 0;
        var m = _anomalyModel.AsSpan(s * AnomalyModelStride + sign * 5, 5);
        m[0] = Math.Min(m[0] + 1, 50);
        var rate = 1.0 / m[0];
        var dl = featureL - m[1];
        var dm = featureM - m[2];
        m[1] += rate * dl;
        m[2] += rate * dm;
        m[3] += rate * (dl * (featureL - m[1]) - m[3]);
        m[4] += rate * (dm * (featureM - m[2]) - m[4]);
        _anomalyLength[s] = 0;
        _anomalySum[s] = 0;
    }
}
