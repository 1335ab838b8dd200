namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Linear trend of <see cref="SeriesModelStore"/>, learned from the level shifts a trend causes.</summary>
/// <remarks>
/// <para>The level is an exponentially weighted mean (half-life 288 buckets), so under a steady drift of b per bucket
/// it lags by about b/α and the residuals stay biased to one side: the level-change CUSUM then fires again and again,
/// every few to few dozen buckets, each time rebasing the level by the run's mean residual. That train of same-sign
/// shifts at a steady rate is the evidence for a trend used here: a shift s after k model updates since the previous
/// change has rate s/k. Three shifts in a row of the same sign, each within a day's buckets (at least 24) of the one
/// before, whose last two rates agree within a factor of two, make the mean of those rates the series' slope. From
/// then on the prediction and the level move by the slope at every update, the bias is gone and the CUSUM quiets; a
/// later shift of either sign (the slope was off, or the trend changed) refines the slope by a quarter of its rate.</para>
/// <para>Only slow drifts become a trend: a rate above five residual standard deviations per day (σ ≈ 1.2533 × mean
/// absolute residual) neither starts nor refines one. Faster ramps stay what they were, a sequence of level changes
/// that are scored as anomalies; a one-off step is a single shift and never makes a trend. On the nab-dev corpus
/// every variant that learned faster or accepted faster drifts cost 3 to 18 points of the standard score, because
/// labelled anomalies there are often ramps (session 4 note).</para>
/// <para>State: one float column (the slope) when <see cref="SeriesModelOptions.Trend"/> is on, and five bits of the
/// flags column (active, direction, shifts in the current run). The interval is the existing updates-since-change
/// counter, and the slope is applied per model update, so a sparse series' slope is per update, as is its rate.</para>
/// <para>Implementation note: ml-cpp models the trend as a regression component of its decomposition, always
/// present and fit over several time scales; this is a cheap, conservative stand-in.</para>
/// </remarks>
public sealed partial class SeriesModelStore
{
    private const int FlagTrendActive = 64;
    private const int FlagTrendUp = 128;
    private const int TrendRunShift = 8; // bits 8-9: same-sign shifts in the current run (0-3)
    private const int TrendRunMask = 3 << TrendRunShift;
    private const double TrendConsistency = 2.0;
    private const double TrendRefineGain = 0.25;
    private const double TrendMaxSdPerDay = 5.0;
    private const double SdPerMeanAbs = 1.2533141373155003; // sqrt(π/2)

    /// <summary>Whether the series has an accepted trend.</summary>
    public bool HasTrend(int series) => TrendWidth != 0 && (_flags[series] & FlagTrendActive) != 0;

    /// <summary>The series' slope per model update (0 without an accepted trend).</summary>
    public double Slope(int series) => HasTrend(series) ? _slope[series] : 0.0;

    /// <summary>Learns from a level shift of <paramref name="shift"/> the CUSUM is about to apply (see the remarks).</summary>
    private void LearnTrendFromShift(int s, double shift)
    {
        var interval = Math.Max(1, _sinceChange[s]);
        var rate = shift / interval;
        var slow = Math.Abs(rate) * _bucketsPerDay <= TrendMaxSdPerDay * SdPerMeanAbs * _absDev[s];
        var flags = _flags[s];
        if ((flags & FlagTrendActive) != 0)
        {
            if (slow)
            {
                _slope[s] += (float)(TrendRefineGain * rate);
            }

            return;
        }

        var up = shift > 0;
        var run = (flags & TrendRunMask) >> TrendRunShift;
        var continues = slow && run > 0 && up == ((flags & FlagTrendUp) != 0) && interval <= Math.Max(_bucketsPerDay, 24);
        flags = (flags & ~(FlagTrendUp | TrendRunMask)) | (up ? FlagTrendUp : 0);
        if (!continues)
        {
            _slope[s] = 0;
            _flags[s] = flags | (slow ? 1 << TrendRunShift : 0);
            return;
        }

        if (run == 1)
        {
            _slope[s] = (float)rate;
            _flags[s] = flags | (2 << TrendRunShift);
            return;
        }

        var previous = _slope[s];
        var ratio = rate / previous;
        if (ratio >= 1.0 / TrendConsistency && ratio <= TrendConsistency)
        {
            _slope[s] = (float)(0.5 * (rate + previous));
            _flags[s] = flags | FlagTrendActive;
        }
        else
        {
            _slope[s] = (float)rate;
            _flags[s] = flags | (2 << TrendRunShift);
        }
    }

    /// <summary>A reverted (transient) shift was no trend step: a run that has not become a trend starts again.</summary>
    private void ForgetTrendRun(int s)
    {
        if (TrendWidth != 0 && (_flags[s] & FlagTrendActive) == 0)
        {
            _flags[s] &= ~(FlagTrendUp | TrendRunMask);
            _slope[s] = 0;
        }
    }
}
