namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Configuration shared by every series of one <see cref="SeriesModelStore"/> (one detector of a job).
/// Defaults are the engine's single fixed configuration; they are not tuned per data set.
/// </summary>
public sealed record SeriesModelOptions
{
    /// <summary>Bucket span in milliseconds. Must be positive.</summary>
    public required long BucketSpanMs { get; init; }

    /// <summary>Minimum number of buckets before a series is scored (ES: 8 buckets for metrics).</summary>
    public int MinimumBuckets { get; init; } = 8;

    /// <summary>Minimum elapsed time before a series is scored (ES: 2 hours for metrics).</summary>
    public long MinimumElapsedMs { get; init; } = 2 * 3_600_000L;

    /// <summary>Half-life, in buckets, of the level estimate once warm-up is over (used when <see cref="LevelHalfLifeMs"/> is null).</summary>
    public double LevelHalfLifeBuckets { get; init; } = 288;

    /// <summary>Half-life of the level estimate as a duration; when set it overrides <see cref="LevelHalfLifeBuckets"/>.</summary>
    public long? LevelHalfLifeMs { get; init; }

    /// <summary>The effective level half-life in buckets (at least 12).</summary>
    internal double EffectiveLevelHalfLifeBuckets =>
        LevelHalfLifeMs is { } ms ? Math.Max(12.0, (double)ms / BucketSpanMs) : LevelHalfLifeBuckets;

    /// <summary>
    /// Half-life, in buckets, of the residual scale, shape and exceedance estimates. Null (the
    /// default) follows ml-cpp's decay rate: 0.0005 per bucket scaled by min(1, span / 30 min),
    /// i.e. a half-life of about 29 days for spans of 30 minutes or less.
    /// </summary>
    public double? ScaleHalfLifeBuckets { get; init; }

    /// <summary>The effective scale half-life in buckets.</summary>
    internal double EffectiveScaleHalfLifeBuckets =>
        ScaleHalfLifeBuckets ?? Math.Log(2) / (0.0005 * Math.Min(1.0, BucketSpanMs / 1_800_000.0));

    /// <summary>Floor of the per-period learning rate of the seasonal profile bins (bins learn as running means until then).</summary>
    public double SeasonalLearningRate { get; init; } = 0.1;

    /// <summary>CUSUM decision threshold (in residual standard deviations) for level and scale changes.</summary>
    public double ChangeThreshold { get; init; } = 8.0;

    /// <summary>Buckets a level change must persist (CUSUM run length) before the model rebases to it.</summary>
    public int ChangeMinimumBuckets { get; init; } = 1;

    /// <summary>Buckets after a confirmed change during which outlier down-weighting is relaxed.</summary>
    public int ChangeRelaxBuckets { get; init; } = 12;

    /// <summary>
    /// Whether a level shift is undone when, within a day of it (at least <see cref="ChangeRelaxBuckets"/>), a value is an
    /// outlier (p &lt; 1e-3) against the new level but not significant (p ≥ 0.05) against the old one:
    /// the change was a transient burst, and its end is not a second anomaly.
    /// </summary>
    public bool RevertTransientShifts { get; init; } = true;

    /// <summary>
    /// Whether a series whose level keeps shifting the same way at a steady, slow rate gets a linear trend
    /// (see <c>SeriesModelStore.Trend.cs</c>).
    /// </summary>
    public bool Trend { get; init; } = true;

    /// <summary>Whether daily seasonality is tested for (only when the bucket span is 2 hours or less).</summary>
    public bool DetectDailySeasonality { get; init; } = true;

    /// <summary>
    /// Whether seasonal periods other than daily and weekly are tested for, from a bounded history of bucket values
    /// kept per series until a seasonal component is found (see <c>SeriesModelStore.Periods.cs</c>).
    /// </summary>
    public bool DetectOtherPeriods { get; init; } = true;

    /// <summary>Whether non-negative series may switch to a log-space error model when it predicts better.</summary>
    public bool LogErrorModel { get; init; } = false;

    /// <summary>Whether probabilities are adjusted by how unusual the anomaly is compared with the series' earlier anomalies (ml-cpp's anomaly model).</summary>
    public bool AnomalyCharacteristics { get; init; }

    /// <summary>
    /// Whether a value beyond the running range of the series (by more than 5% of the range) counts
    /// as novel: its single-bucket probability is capped at 1/(n + 1) after n buckets, the chance that
    /// the newest of n + 1 exchangeable values is the most extreme (engine-research §6.5.7).
    /// </summary>
    public bool RangeNovelty { get; init; } = true;

    /// <summary>
    /// Whether single-bucket tail probabilities beyond |z| = 3 are recalibrated by the series'
    /// observed rate of |z| &gt; 4 exceedances relative to the rate the Student-t model expects.
    /// </summary>
    public bool TailCalibration { get; init; }

    /// <summary>Whether the multi-bucket feature averages normal scores of the single-bucket probabilities rather than raw z.</summary>
    public bool NormalScoreMultiBucket { get; init; }

    /// <summary>
    /// Clip of the residual z entering the multi-bucket feature. Experiment knob (session 4): clipping at 4 makes i.i.d.
    /// heavy-tailed noise less overconfident but costs NAB (standard 66.48 → 57.04), because there the multi-bucket
    /// feature carries big one-bucket deviations whose single-bucket probability the routine-outlier model discounts.
    /// </summary>
    public double MultiBucketClip { get; init; } = 10.0;

    /// <summary>
    /// Whether the multi-bucket spread uses the clipped second moment of the Student-t residual model, E[min(T², c²)],
    /// rather than 1 (the variance z has when the residuals are Gaussian). Experiment knob, off: it halves the
    /// multi-bucket overconfidence on t3 / exponential / log-normal noise, but NAB standard drops to 61.07.
    /// </summary>
    public bool MultiBucketShapeVariance { get; init; }

    /// <summary>Whether the multi-bucket feature's spread is also learned from its own observed values (as ml-cpp gives it its own prior).</summary>
    public bool LearnMultiBucketSpread { get; init; }

    /// <summary>
    /// Whether the multi-bucket probability only counts for buckets that continue the deviation
    /// (same sign as the multi-bucket mean, fully once the bucket deviates at least as far as that
    /// mean and at least one standard deviation), so the buckets on the way back from a spike are
    /// not scored as a sustained deviation.
    /// </summary>
    public bool MultiBucketNeedsContinuation { get; init; } = true;

    /// <summary>
    /// Whether the single-bucket test scores the AR(1) innovation of the residual (residual minus
    /// φ times the previous residual) against the innovation scale, so autocorrelated series are
    /// judged on their surprise rather than on slow excursions (which the multi-bucket feature covers).
    /// </summary>
    public bool InnovationModel { get; init; }

    /// <summary>
    /// Whether the outlier down-weighting relaxes for series whose tail events (p &lt; 1e-3) recur far
    /// more often than the model expects, so recurring spikes are learned instead of ignored.
    /// </summary>
    public bool RecurringOutlierLearning { get; init; } = true;

    /// <summary>
    /// Whether single-bucket outliers that recur at the same time of day (scheduled jobs, nightly
    /// batches) are modelled as a routine component: the tail probability becomes a mixture of the
    /// noise model and an outlier component weighted by that hour's observed outlier rate.
    /// </summary>
    public bool RoutineOutliers { get; init; } = true;

    /// <summary>Validates the options.</summary>
    internal void Validate()
    {
        if (BucketSpanMs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BucketSpanMs), "bucket span must be positive");
        }
    }
}
