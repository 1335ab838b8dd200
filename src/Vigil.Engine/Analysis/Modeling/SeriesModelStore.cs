using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Per-series time-series models for one detector, stored as structure-of-arrays columns
/// (no object per series). Each call to <see cref="ScoreThenUpdate"/> scores a bucket value
/// against the model as it was before the value, then learns from it, so a bucket's
/// probability depends only on data up to that bucket.
/// </summary>
/// <remarks>
/// <para>The model per series is:</para>
/// <list type="bullet">
/// <item>a robust level (exponentially weighted, with ml-cpp's outlier down-weighting rule:
/// weight 1 at tail p ≥ 1e-3, 0.01 at p ≤ 1e-5, log-interpolated between);</item>
/// <item>an optional daily seasonal profile, accepted only after a strict online test
/// (profiles of even and odd days must agree, and explain a large share of the variance);</item>
/// <item>a residual scale (mean absolute deviation) and a tail shape (Student-t degrees of
/// freedom from the ratio of the mean squared to the squared mean absolute residual);</item>
/// <item>a multi-bucket feature (geometrically weighted mean of recent residuals, decay 0.9,
/// as ml-cpp) combined with the single-bucket probability through a correlated χ² joint;</item>
/// <item>CUSUM detectors for level and scale changes which, once they fire, rebase the model
/// and temporarily relax outlier down-weighting (ml-cpp resets its residual model on a change).</item>
/// <item>a linear trend, for series whose level shifts keep coming the same way at a steady, slow rate
/// (<c>SeriesModelStore.Trend.cs</c>).</item>
/// </list>
/// <para>Snapshots are raw little-endian columns; restoring one with the same options reproduces
/// scores exactly. Columns of optional model parts exist only when their option is on.</para>
/// <para>Threading: <see cref="ScoreThenUpdate"/> may run concurrently for different series (the pipeline
/// scores large buckets in parallel chunks). It must therefore write only the given series' columns and
/// blocks, and take blocks from the pools (whose allocation is thread-safe); no shared scratch state.</para>
/// </remarks>
public sealed partial class SeriesModelStore
{
    private const int SnapshotMagic = 0x4C475356; // "VSGL"
    private const int SnapshotVersion = 7; // 2: routine-outlier, outlier-rate columns; 3: last level shift; 4: 16-bit profiles, 168 weekly bins; 5: value history, other periods; 6: time shift; 7: trend slope
    private const long DayMs = 86_400_000L;
    private const int TestBins = 24;
    private const int TestStride = TestBins * 4 + 4;
    private const long WeekMs = 7 * DayMs;
    private const int MaxDailyBins = 288;
    private const int MaxWeeklyBins = 168;
    private const int ScaleBins = 24;
    private const double MultiBucketDecay = 0.9;
    private const double MultiBucketCorrelation = 0.4536; // sqrt((1 - 0.81) / (1 - 0.81^12))
    private const double LogOutlierHigh = -6.907755278982137; // ln 1e-3
    private const double LogOutlierLow = -11.512925464970229; // ln 1e-5
    private const double LogNotSignificant = -2.995732273553991; // ln 0.05
    private const double ZClip = 10.0;
    private const double OutlierRateStep = 1e-3; // EW step of the outlier-rate estimate (half-life ≈ 693 buckets)
    private const double ExpectedOutlierRate = 1e-3; // rate of tail p < 1e-3 events a calibrated model expects
    private const int FlagDaily = 1;
    private const int FlagWeekly = 2;
    private const int TailLevels = 5;
    private const int FlagNegativeSeen = 4;
    private const int FlagLogModel = 8;
    private const int TestModeIndex = TestStride - 1;
    private const int TestStartIndex = TestStride - 2;

    private static readonly double[] MeanAbsT = BuildMeanAbsT();
    private static readonly double[] ShapeRatio = BuildShapeRatio();
    private static readonly double[] Quantile975 = BuildQuantile975();
    private static readonly double[] LogDensityConstant = BuildLogDensityConstant();

    private readonly SeriesModelOptions _options;
    private readonly double _levelRate;
    private readonly double _scaleRate;
    private readonly double _baselineRate;
    private readonly bool _daily;
    private readonly double _bucketsPerDay;
    private readonly Periodic _dailyShape;
    private readonly Periodic _weeklyShape;
    private readonly double _minElapsed;
    private readonly double[] _clippedSd;

    private int _count;
    private int _capacity;
    private long _timeShiftMs;

    // Hot columns.
    private double[] _n = [];
    private double[] _level = [];
    private double[] _absDev = [];
    private double[] _sqDev = [];
    private double[] _baseline = [];
    private double[] _mbNum = [];
    private double[] _mbDen = [];
    private double[] _mbSq = [];
    private double[] _arNum = [];
    private double[] _arDen = [];
    private double[] _prevZ = [];
    private float[] _cusumPos = []; // CUSUM statistics are small sums of clipped z: floats in memory, doubles in snapshots
    private float[] _cusumNeg = [];
    private float[] _cusumVar = [];
    private double[] _posSum = [];
    private double[] _negSum = [];
    private double[] _varSum = [];
    private double[] _resolution = [];
    private double[] _prevX = [];
    private double[] _shift = [];
    private double[] _logAbs = [];
    private double[] _logSq = [];
    private double[] _logBias = [];
    private double[] _llDiff = [];
    private long[] _firstMs = [];
    private int[] _posCount = [];
    private int[] _negCount = [];
    private int[] _varCount = [];
    private int[] _relax = [];
    private int[] _sinceChange = [];
    private float[] _slope = [];
    private int[] _testHandle = [];
    private int[] _profileHandle = [];
    private int[] _historyHandle = [];
    private long[] _histNext = [];
    private double[] _histSum = [];
    private int[] _histN = [];
    private int[] _lastDay = [];
    private int[] _flags = [];
    private int[] _seasonAge = [];
    private int[] _anomalyLength = [];
    private double[] _anomalySum = [];
    private double[] _anomalyModel = [];
    private double[] _rangeMin = [];
    private double[] _rangeMax = [];
    private double[] _outlierRate = [];
    private float[] _routine = [];
    private double[] _exceedRate = [];
    private double[] _mbVar = [];
    private double[] _innovAbs = [];
    private double[] _prevR = [];
    private double[] _rrNum = [];
    private double[] _rrDen = [];

    private FloatSlabPool _tests;
    private FloatSlabPool _dailyProfiles;
    private FloatSlabPool _weeklyProfiles;
    private FloatSlabPool _histories;
    private FloatSlabPool _periodicProfiles;

    /// <summary>Creates an empty store.</summary>
    public SeriesModelStore(SeriesModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _levelRate = Math.Log(2) / Math.Max(1.0, options.EffectiveLevelHalfLifeBuckets);
        _scaleRate = Math.Log(2) / Math.Max(1.0, options.EffectiveScaleHalfLifeBuckets);
        var bucketsPerDay = (double)DayMs / options.BucketSpanMs;
        _baselineRate = Math.Min(1.0, Math.Log(2) / Math.Max(1.0, bucketsPerDay));
        _daily = options.DetectDailySeasonality && bucketsPerDay >= 12;
        _bucketsPerDay = bucketsPerDay;
        _dailyShape = new Periodic(DayMs, options.BucketSpanMs, MaxDailyBins);
        _weeklyShape = new Periodic(WeekMs, options.BucketSpanMs, MaxWeeklyBins);
        _minElapsed = options.MinimumElapsedMs;
        _clippedSd = options.MultiBucketShapeVariance ? BuildClippedSd(options.MultiBucketClip) : [];
        _tests = new FloatSlabPool(TestStride);
        _dailyProfiles = new FloatSlabPool(QuantizedProfile.Stride(_dailyShape.Bins, ScaleBins));
        _weeklyProfiles = new FloatSlabPool(QuantizedProfile.Stride(_weeklyShape.Bins, ScaleBins));
        _histories = new FloatSlabPool(HistoryStride);
        _periodicProfiles = new FloatSlabPool(QuantizedProfile.Stride(MaxPeriodicBins, ScaleBins) + PeriodicStrideExtra);
        Grow(16);
    }

    /// <summary>The options the store was created with.</summary>
    public SeriesModelOptions Options => _options;

    /// <summary>Number of series.</summary>
    public int Count => _count;

    /// <summary>Number of series with an accepted seasonal component.</summary>
    public int SeasonalCount => _dailyProfiles.InUse + _weeklyProfiles.InUse + _periodicProfiles.InUse;

    /// <summary>Series with a weekly profile.</summary>
    public int WeeklyCount => _weeklyProfiles.InUse;

    /// <summary>Bytes of model state: column capacities plus slab pools.</summary>
    public long ModelBytes =>
        (long)_capacity * BytesPerSeriesColumns + _tests.Bytes + _dailyProfiles.Bytes + _weeklyProfiles.Bytes
        + _histories.Bytes + _periodicProfiles.Bytes;

    /// <summary>Bytes of the columns every series has (without optional blocks or option-dependent columns).</summary>
    public const int BaseBytesPerSeries = 18 * sizeof(double) + 3 * sizeof(float) + 2 * sizeof(long) + 12 * sizeof(int);

    /// <summary>Bytes of the columns per series for this store's options (option-dependent columns are only allocated when their option is on).</summary>
    public int BytesPerSeriesColumns =>
        BaseBytesPerSeries
        + (LogWidth * 4 + TailWidth + MbVarWidth + InnovWidth * 4 + AnomalyWidth + AnomalyModelWidth + RangeWidth * 2 + OutlierRateWidth) * sizeof(double)
        + (RoutineWidth * RoutineStride + TrendWidth) * sizeof(float)
        + AnomalyWidth * sizeof(int);

    private int LogWidth => _options.LogErrorModel ? 1 : 0;

    private int TrendWidth => _options.Trend ? 1 : 0;

    private int TailWidth => _options.TailCalibration ? TailLevels : 0;

    private int MbVarWidth => _options.LearnMultiBucketSpread ? 1 : 0;

    private int InnovWidth => _options.InnovationModel ? 1 : 0;

    private int AnomalyWidth => _options.AnomalyCharacteristics ? 1 : 0;

    private int AnomalyModelWidth => _options.AnomalyCharacteristics ? AnomalyModelStride : 0;

    private int RangeWidth => _options.RangeNovelty ? 1 : 0;

    private int OutlierRateWidth => _options.RecurringOutlierLearning ? 1 : 0;

    private int RoutineWidth => _options.RoutineOutliers ? 1 : 0;

    /// <summary>Bytes of one seasonality test block.</summary>
    public static int TestBlockBytes => TestStride * sizeof(float);

    /// <summary>Bytes of one daily seasonal profile block for this store's bucket span.</summary>
    public int DailyProfileBlockBytes => _dailyProfiles.Stride * sizeof(float);

    /// <summary>Bytes of one weekly seasonal profile block for this store's bucket span.</summary>
    public int WeeklyProfileBlockBytes => _weeklyProfiles.Stride * sizeof(float);

    /// <summary>Adds a series and returns its id (ids are dense, from 0).</summary>
    public int Add()
    {
        if (_count == _capacity)
        {
            Grow(_capacity * 2);
        }

        var s = _count++;
        _testHandle[s] = -1;
        _profileHandle[s] = -1;
        _historyHandle[s] = -1;
        _resolution[s] = double.PositiveInfinity;
        _lastDay[s] = int.MinValue;
        return s;
    }

    /// <summary>Whether the series has an accepted seasonal component (daily, weekly or another period).</summary>
    public bool IsSeasonal(int series) => (_flags[series] & (FlagDaily | FlagWeekly | FlagPeriodic)) != 0;

    /// <summary>Whether the series has an accepted weekly seasonal component.</summary>
    public bool IsWeekly(int series) => (_flags[series] & FlagWeekly) != 0;

    /// <summary>How far the models' time is ahead of the bucket times, in milliseconds (the sum of every
    /// <see cref="ShiftTime"/>; 0 unless a <c>force_time_shift</c> rule applied).</summary>
    public long TimeShiftMs => _timeShiftMs;

    /// <summary>
    /// Moves the time every series of the store sees by <paramref name="shiftMs"/> from the next
    /// <see cref="ScoreThenUpdate"/> on (the <c>force_time_shift</c> rule action). Not thread-safe: call it between buckets,
    /// never while buckets are being scored.
    /// </summary>
    /// <remarks>
    /// Implementation note (mirrors ml-cpp's <c>shiftTime</c> of the time-series decomposition, which adds the shift to
    /// its time offset and reads its seasonal components at <c>time + offset</c>): the store keeps one cumulative offset
    /// and adds it to the bucket start at the entry of <see cref="ScoreThenUpdate"/>, so the seasonal profiles,
    /// hour-of-day scale and routine-outlier bins, day indexes, period phases and the value history all see shifted time.
    /// After a daylight-saving change of +1 hour (shift +3,600 s) the bucket at 07:00 UTC is modelled as 08:00, where
    /// the profile learned the local morning. A series created after a shift starts in the shifted time too (ml-cpp
    /// gives a new series' decomposition no offset). A negative shift replays up to |shift| of model time: the history
    /// sums those buckets into the slot being filled and a day or period cycle is only started once.
    /// </remarks>
    public void ShiftTime(long shiftMs) => _timeShiftMs += shiftMs;

    /// <summary>
    /// Scores the bucket value of a series against its current model without changing anything: the result is exactly
    /// what <see cref="ScoreThenUpdate"/> would return for the same call, and the store (model, scoring bookkeeping,
    /// pools) is left as it was (interim results). Safe to run concurrently for any series, as it writes nothing.
    /// </summary>
    public SeriesResult Score(int series, long bucketStartMs, double value, double count, Tail tail) =>
        ScoreThenUpdate(series, bucketStartMs, value, count, tail, null, readOnly: true);

    /// <summary>
    /// Scores the bucket value of a series against its current model, then updates the model.
    /// </summary>
    /// <param name="series">Series id from <see cref="Add"/>.</param>
    /// <param name="bucketStartMs">Start of the bucket, epoch milliseconds; buckets of a series must be given in time order.</param>
    /// <param name="value">The bucket statistic (mean, count, ...). Non-finite values are ignored.</param>
    /// <param name="count">Number of records behind the value (reserved for sample weighting; must be positive).</param>
    /// <param name="tail">Which side is anomalous.</param>
    /// <param name="learn">Optional learn gate, called with the series and its result before the model learns the bucket:
    /// false leaves the level, scale and seasonal state as they were (the pipeline's <c>skip_model_update</c> rules).
    /// Scoring bookkeeping (range, tail calibration, anomaly history) is still recorded.</param>
    /// <param name="readOnly">Score only (<see cref="Score"/>): the same result, and nothing of the store is written
    /// (neither the scoring bookkeeping nor the model; <paramref name="learn"/> is not called).</param>
    /// <returns>Probabilities, typical value and bounds for the bucket.</returns>
    public SeriesResult ScoreThenUpdate(int series, long bucketStartMs, double value, double count, Tail tail,
        Func<int, SeriesResult, bool>? learn = null, bool readOnly = false)
    {
        var s = series;
        var t = bucketStartMs + _timeShiftMs; // the models' time (force_time_shift, see ShiftTime)
        if ((uint)s >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(series));
        }

        if (!double.IsFinite(value) || !(count > 0))
        {
            return new SeriesResult(false, 1, 1, 1, value, value, value, value, 0, AnomalyType.None);
        }

        var n = _n[s];
        if (n == 0)
        {
            var first = new SeriesResult(false, 1, 1, 1, value, value, value, value, 0, AnomalyType.None);
            if (!readOnly && (learn is null || learn(s, first)))
            {
                Initialize(s, t, value);
            }

            return first;
        }

        // ---- Prediction.
        var seasonal = 0.0;
        var seasonalScale = 1.0;
        if (_profileHandle[s] >= 0)
        {
            seasonal = SeasonalPrediction(s, t, out var binScale);
            var abs = _absDev[s];
            seasonalScale = abs > 0 ? Math.Clamp(binScale / abs, 0.5, 2.0) : 1.0;
        }

        // A series with a trend expects its level to move by the slope since its last update (see LearnTrendFromShift).
        var trend = TrendWidth != 0 && (_flags[s] & FlagTrendActive) != 0 ? _slope[s] : 0.0;
        var level = _level[s] + trend;
        var predicted = level + seasonal;
        var e = value - predicted;

        // ---- Scale and shape of the raw-space error model.
        var nu = DegreesOfFreedom(_absDev[s], _sqDev[s], n);
        var resolution = _resolution[s];
        var halfRes = double.IsFinite(resolution) ? 0.5 * resolution : 0.0;
        var relaxFactor = 1.0;
        if (_relax[s] > 0)
        {
            // Variance is uncertain right after a change: inflate it and decay back.
            relaxFactor = 1.0 + (double)Math.Min(_relax[s], _options.ChangeRelaxBuckets) / _options.ChangeRelaxBuckets;
        }

        var scale = _absDev[s] * seasonalScale / MeanAbsT[(int)nu] * relaxFactor;
        var floor = Math.Max(Math.Max(1e-4 * Math.Abs(predicted), halfRes), 1e-12);
        scale = Math.Max(scale, floor);
        var absE = Math.Max(Math.Abs(e) - halfRes, 0.0);
        var zRaw = Math.Sign(e) * absE / scale;
        var reverted = false; // read-only scoring that undid a transient shift without writing it
        if (_options.RevertTransientShifts && _sinceChange[s] < Math.Max(_options.ChangeRelaxBuckets, _bucketsPerDay) && _shift[s] != 0)
        {
            // A level shift that has not lasted a day (or the relax window, if longer) is not yet
            // confirmed. A value that is an outlier (p < 1e-3) against the new level but ordinary
            // (p ≥ 0.05, ES's largest significant probability) against the level before the shift
            // shows the change was a transient burst: the shift is undone and the value is scored
            // against the old level, so the return from a burst is not reported as a second anomaly.
            var eOld = e + _shift[s];
            var absOld = Math.Max(Math.Abs(eOld) - halfRes, 0.0);
            var zOld = Math.Sign(eOld) * absOld / scale;
            if (absOld < absE
                && SpecialFunctions.LogStudentTwoSidedTail(zRaw, nu) < LogOutlierHigh
                && SpecialFunctions.LogStudentTwoSidedTail(zOld, nu) >= LogNotSignificant)
            {
                if (readOnly)
                {
                    // What RevertShift would leave: the level before the shift and an empty multi-bucket feature.
                    reverted = true;
                    predicted = (_level[s] - _shift[s]) + trend + seasonal;
                }
                else
                {
                    RevertShift(s);
                    predicted = _level[s] + trend + seasonal;
                }

                e = eOld;
                absE = absOld;
                zRaw = zOld;
            }
        }

        // ---- Log-space error model (non-negative data): u = ln(x + c) − ln(ŷ⁺ + c).
        var logCapable = _options.LogErrorModel && (_flags[s] & FlagNegativeSeen) == 0 && value >= 0 && double.IsFinite(resolution);
        double u = 0, zLog = 0, logScale = 0, nuLog = 2, offset = 0;
        if (logCapable)
        {
            offset = resolution;
            u = Math.Log(value + offset) - Math.Log(Math.Max(predicted, 0) + offset);
            nuLog = DegreesOfFreedom(_logAbs[s], _logSq[s], n);
            logScale = Math.Max(_logAbs[s] / MeanAbsT[(int)nuLog] * relaxFactor, 1e-6);
            zLog = (u - _logBias[s]) / logScale;
        }

        var useLog = logCapable && (_flags[s] & FlagLogModel) != 0;
        var z = useLog ? zLog : zRaw;
        var nuUsed = useLog ? nuLog : nu;

        // ---- Innovation (AR(1) on the residual) for the single-bucket test.
        var zSingle = z;
        var innovation = 0.0;
        if (_options.InnovationModel)
        {
            var phiR = _rrDen[s] > 0 ? Math.Clamp(_rrNum[s] / _rrDen[s], 0.0, 0.95) : 0.0;
            innovation = e - phiR * _prevR[s];
            if (!useLog && n >= 20 && _innovAbs[s] > 0)
            {
                var innovScale = Math.Max(_innovAbs[s] * seasonalScale / MeanAbsT[(int)nu] * relaxFactor, floor);
                zSingle = Math.Sign(innovation) * Math.Max(Math.Abs(innovation) - halfRes, 0.0) / innovScale;
            }
        }

        var elapsed = t - _firstMs[s];
        var gated = n < _options.MinimumBuckets || elapsed < _minElapsed;

        // ---- Single bucket probability (log space).
        var logTwoSided = SpecialFunctions.LogStudentTwoSidedTail(zSingle, nuUsed);
        if (_options.TailCalibration)
        {
            logTwoSided = CalibrateTail(s, logTwoSided, z, nuUsed, n, readOnly);
        }

        var logModelTail = logTwoSided;
        if (_options.RoutineOutliers)
        {
            logTwoSided = RoutineOutlierTail(s, t, logTwoSided, zSingle, gated, readOnly);
        }

        var logSingle = ApplyTail(logTwoSided, zSingle, tail);
        if (_options.RangeNovelty)
        {
            // A value beyond the running range by more than 5% of it is novel whatever the noise
            // model says. How novel is distribution-free: of n + 1 exchangeable values, the chance
            // that the last is the largest (or the smallest) is 1/(n + 1), so the single-bucket
            // probability is capped at 1/(n + 1). A young series' new extremes are thus ordinary
            // (1/50 after 49 buckets), and only a long history makes leaving its range rare.
            var lo = _rangeMin[s];
            var hi = _rangeMax[s];
            var margin = 0.05 * (hi - lo);
            if (margin > 0 && ((value > hi + margin && tail != Tail.Low) || (value < lo - margin && tail != Tail.High)))
            {
                logSingle = Math.Min(logSingle, -Math.Log(n + 1));
            }

            if (!readOnly)
            {
                _rangeMin[s] = Math.Min(lo, value);
                _rangeMax[s] = Math.Max(hi, value);
            }
        }

        // ---- Multi-bucket feature.
        // The multi-bucket feature averages normal scores of the calibrated single-bucket tail
        // probabilities, so heavy-tailed residuals do not make the average overconfident.
        var zc = _options.NormalScoreMultiBucket
            ? Math.Sign(z) * Math.Min(-SpecialFunctions.NormalQuantileFromLog(Math.Min(logTwoSided, -1e-12) - 0.6931471805599453), _options.MultiBucketClip)
            : Math.Clamp(z, -_options.MultiBucketClip, _options.MultiBucketClip);
        var mbNum = MultiBucketDecay * (reverted ? 0.0 : _mbNum[s]) + zc;
        var mbDen = MultiBucketDecay * (reverted ? 0.0 : _mbDen[s]) + 1.0;
        var mbSq = MultiBucketDecay * MultiBucketDecay * (reverted ? 0.0 : _mbSq[s]) + 1.0;
        var phi = _arDen[s] > 0 ? Math.Clamp(_arNum[s] / _arDen[s], 0.0, 0.9) : 0.0;
        var mean = mbNum / mbDen;
        var mbSd = Math.Sqrt(mbSq * (1 + phi) / (1 - phi)) / mbDen;
        if (_options.MultiBucketShapeVariance)
        {
            mbSd *= _clippedSd[(int)nuUsed];
        }
        if (_options.LearnMultiBucketSpread && n >= 9)
        {
            // The feature's own observed spread (ml-cpp models the multi-bucket feature with its own prior).
            var learned = _mbVar[s];
            if (learned > mbSd * mbSd)
            {
                mbSd = Math.Sqrt(learned);
            }

            var previous = !reverted && _mbDen[s] > 0 ? _mbNum[s] / _mbDen[s] : 0.0;
            if (!readOnly)
            {
                _mbVar[s] = learned + Math.Max(1.0 / (n + 1), _scaleRate) * (previous * previous - learned);
            }
        }
        var zm = mean / mbSd;
        var logMulti = n >= 9 ? ApplyTail(SpecialFunctions.LogNormalTwoSidedTail(zm), zm, tail) : 0.0;
        if (_options.MultiBucketNeedsContinuation)
        {
            // A bucket that is back to normal is not part of a sustained deviation: the
            // multi-bucket evidence counts in proportion to how far this bucket continues it.
            // Full weight needs the bucket to deviate at least as far as the feature's mean (and at
            // least one standard deviation), so the buckets on the way back from a spike, whose
            // mean still carries the spike, are not scored as a sustained deviation.
            logMulti *= Math.Clamp(z * Math.Sign(mean) / Math.Max(Math.Abs(mean), 1.0), 0.0, 1.0);
        }

        // ---- Joint and impact.
        double logJoint;
        double impact = 0;
        if (gated)
        {
            logSingle = 0;
            logMulti = 0;
            logJoint = 0;
        }
        else
        {
            logJoint = JointLogProbability(logSingle, logMulti);
            impact = MultiBucketImpact(logSingle, logMulti);
            if (_options.AnomalyCharacteristics)
            {
                logJoint = ApplyAnomalyModel(s, logJoint, z, readOnly);
            }
        }

        double lower, upper;
        if (useLog)
        {
            var centre = Math.Log(Math.Max(predicted, 0) + offset) + _logBias[s];
            var ql = Quantile975[(int)nuLog] * logScale;
            lower = Math.Exp(centre - ql) - offset;
            upper = Math.Exp(centre + ql) - offset;
        }
        else
        {
            var q = Quantile975[(int)nu] * scale;
            lower = predicted - q;
            upper = predicted + q;
        }

        var result = new SeriesResult(
            !gated,
            ToProbability(logJoint),
            ToProbability(logSingle),
            ToProbability(logMulti),
            value,
            predicted,
            lower,
            upper,
            impact,
            logJoint < -2.995732273553991 ? (e >= 0 ? AnomalyType.Spike : AnomalyType.Dip) : AnomalyType.None);

        // ---- Update (unless the learn gate, a skip_model_update custom rule, says no).
        if (readOnly || (learn is not null && !learn(s, result)))
        {
            return result;
        }

        if (logCapable)
        {
            UpdateLogModel(s, n, u, zRaw, scale, nu, zLog, logScale, nuLog, value + offset, logTwoSided, gated);
        }
        else if (value < 0)
        {
            _flags[s] = (_flags[s] | FlagNegativeSeen) & ~FlagLogModel;
        }

        if (_options.InnovationModel)
        {
            var rate = Math.Max(1.0 / (n + 1), _scaleRate);
            var w = logTwoSided < LogOutlierHigh && !gated ? 0.1 : 1.0;
            _innovAbs[s] += rate * w * (Math.Abs(innovation) - _innovAbs[s]);
            var clippedE = Math.Clamp(e, -10 * _absDev[s] - 1e-300, 10 * _absDev[s] + 1e-300);
            _rrNum[s] += rate * w * (clippedE * _prevR[s] - _rrNum[s]);
            _rrDen[s] += rate * w * (clippedE * clippedE - _rrDen[s]);
            _prevR[s] = clippedE;
        }

        Update(s, t, value, e, z, zc, logModelTail, gated, n, mbNum, mbDen, mbSq);
        return result;
    }

    /// <summary>Writes the whole store; <see cref="Load"/> restores it with identical behaviour.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var header = writer.GetSpan(24);
        BinaryPrimitives.WriteInt32LittleEndian(header, SnapshotMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], SnapshotVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], _options.BucketSpanMs);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], _count);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], _dailyShape.Bins * 1000 + _weeklyShape.Bins);
        writer.Advance(24);
        var c = _count;
        ColumnIo.Write<double>(writer, _n.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _level.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _absDev.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _sqDev.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _baseline.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _mbNum.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _mbDen.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _mbSq.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _arNum.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _arDen.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _prevZ.AsSpan(0, c));
        ColumnIo.WriteAsDoubles(writer, _cusumPos.AsSpan(0, c));
        ColumnIo.WriteAsDoubles(writer, _cusumNeg.AsSpan(0, c));
        ColumnIo.WriteAsDoubles(writer, _cusumVar.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _posSum.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _negSum.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _varSum.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _resolution.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _prevX.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _shift.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _logAbs.AsSpan(0, c * LogWidth));
        ColumnIo.Write<double>(writer, _logSq.AsSpan(0, c * LogWidth));
        ColumnIo.Write<double>(writer, _logBias.AsSpan(0, c * LogWidth));
        ColumnIo.Write<double>(writer, _llDiff.AsSpan(0, c * LogWidth));
        ColumnIo.Write<long>(writer, _firstMs.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _posCount.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _negCount.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _varCount.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _relax.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _sinceChange.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _testHandle.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _profileHandle.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _lastDay.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _flags.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _seasonAge.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _anomalyLength.AsSpan(0, c * AnomalyWidth));
        ColumnIo.Write<double>(writer, _rangeMin.AsSpan(0, c * RangeWidth));
        ColumnIo.Write<double>(writer, _rangeMax.AsSpan(0, c * RangeWidth));
        ColumnIo.Write<double>(writer, _outlierRate.AsSpan(0, c * OutlierRateWidth));
        ColumnIo.Write<float>(writer, _routine.AsSpan(0, c * RoutineWidth * RoutineStride));
        ColumnIo.Write<double>(writer, _exceedRate.AsSpan(0, c * TailWidth));
        ColumnIo.Write<double>(writer, _mbVar.AsSpan(0, c * MbVarWidth));
        ColumnIo.Write<double>(writer, _innovAbs.AsSpan(0, c * InnovWidth));
        ColumnIo.Write<double>(writer, _prevR.AsSpan(0, c * InnovWidth));
        ColumnIo.Write<double>(writer, _rrNum.AsSpan(0, c * InnovWidth));
        ColumnIo.Write<double>(writer, _rrDen.AsSpan(0, c * InnovWidth));
        ColumnIo.Write<double>(writer, _anomalySum.AsSpan(0, c * AnomalyWidth));
        ColumnIo.Write<double>(writer, _anomalyModel.AsSpan(0, c * AnomalyModelWidth));
        ColumnIo.Write<long>(writer, _histNext.AsSpan(0, c));
        ColumnIo.Write<double>(writer, _histSum.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _histN.AsSpan(0, c));
        ColumnIo.Write<int>(writer, _historyHandle.AsSpan(0, c));
        ColumnIo.Write<float>(writer, _slope.AsSpan(0, c * TrendWidth));
        _tests.Save(writer);
        _dailyProfiles.Save(writer);
        _weeklyProfiles.Save(writer);
        _histories.Save(writer);
        _periodicProfiles.Save(writer);
        var tail = writer.GetSpan(8);
        BinaryPrimitives.WriteInt64LittleEndian(tail, _timeShiftMs);
        writer.Advance(8);
    }

    /// <summary>Restores a store written by <see cref="Save"/> with the same options.</summary>
    /// <exception cref="InvalidDataException">The snapshot is not a model snapshot or does not match the options.</exception>
    public static SeriesModelStore Load(ReadOnlySpan<byte> snapshot, SeriesModelOptions options)
    {
        if (snapshot.Length < 24 || BinaryPrimitives.ReadInt32LittleEndian(snapshot) != SnapshotMagic)
        {
            throw new InvalidDataException("not a series model snapshot");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(snapshot[4..]);
        if (version is < 2 or > SnapshotVersion)
        {
            throw new InvalidDataException("unsupported series model snapshot version");
        }

        var store = new SeriesModelStore(options);
        var bins = BinaryPrimitives.ReadInt32LittleEndian(snapshot[20..]);
        if (BinaryPrimitives.ReadInt64LittleEndian(snapshot[8..]) != options.BucketSpanMs
            || (version >= 4 && bins != store._dailyShape.Bins * 1000 + store._weeklyShape.Bins))
        {
            throw new InvalidDataException("series model snapshot was taken with a different bucket span");
        }

        var c = BinaryPrimitives.ReadInt32LittleEndian(snapshot[16..]);
        var src = snapshot[24..];
        store.Grow(Math.Max(16, c));
        store._count = c;
        ColumnIo.Read(ref src, store._n.AsSpan(0, c));
        ColumnIo.Read(ref src, store._level.AsSpan(0, c));
        ColumnIo.Read(ref src, store._absDev.AsSpan(0, c));
        ColumnIo.Read(ref src, store._sqDev.AsSpan(0, c));
        ColumnIo.Read(ref src, store._baseline.AsSpan(0, c));
        ColumnIo.Read(ref src, store._mbNum.AsSpan(0, c));
        ColumnIo.Read(ref src, store._mbDen.AsSpan(0, c));
        ColumnIo.Read(ref src, store._mbSq.AsSpan(0, c));
        ColumnIo.Read(ref src, store._arNum.AsSpan(0, c));
        ColumnIo.Read(ref src, store._arDen.AsSpan(0, c));
        ColumnIo.Read(ref src, store._prevZ.AsSpan(0, c));
        ColumnIo.ReadDoubles(ref src, store._cusumPos.AsSpan(0, c));
        ColumnIo.ReadDoubles(ref src, store._cusumNeg.AsSpan(0, c));
        ColumnIo.ReadDoubles(ref src, store._cusumVar.AsSpan(0, c));
        ColumnIo.Read(ref src, store._posSum.AsSpan(0, c));
        ColumnIo.Read(ref src, store._negSum.AsSpan(0, c));
        ColumnIo.Read(ref src, store._varSum.AsSpan(0, c));
        ColumnIo.Read(ref src, store._resolution.AsSpan(0, c));
        ColumnIo.Read(ref src, store._prevX.AsSpan(0, c));
        if (version >= 3)
        {
            // Version 2 snapshots have no pending-shift column: no shift is revertible after loading them.
            ColumnIo.Read(ref src, store._shift.AsSpan(0, c));
        }

        ColumnIo.Read(ref src, store._logAbs.AsSpan(0, c * store.LogWidth));
        ColumnIo.Read(ref src, store._logSq.AsSpan(0, c * store.LogWidth));
        ColumnIo.Read(ref src, store._logBias.AsSpan(0, c * store.LogWidth));
        ColumnIo.Read(ref src, store._llDiff.AsSpan(0, c * store.LogWidth));
        ColumnIo.Read(ref src, store._firstMs.AsSpan(0, c));
        ColumnIo.Read(ref src, store._posCount.AsSpan(0, c));
        ColumnIo.Read(ref src, store._negCount.AsSpan(0, c));
        ColumnIo.Read(ref src, store._varCount.AsSpan(0, c));
        ColumnIo.Read(ref src, store._relax.AsSpan(0, c));
        ColumnIo.Read(ref src, store._sinceChange.AsSpan(0, c));
        ColumnIo.Read(ref src, store._testHandle.AsSpan(0, c));
        ColumnIo.Read(ref src, store._profileHandle.AsSpan(0, c));
        ColumnIo.Read(ref src, store._lastDay.AsSpan(0, c));
        ColumnIo.Read(ref src, store._flags.AsSpan(0, c));
        ColumnIo.Read(ref src, store._seasonAge.AsSpan(0, c));
        ColumnIo.Read(ref src, store._anomalyLength.AsSpan(0, c * store.AnomalyWidth));
        ColumnIo.Read(ref src, store._rangeMin.AsSpan(0, c * store.RangeWidth));
        ColumnIo.Read(ref src, store._rangeMax.AsSpan(0, c * store.RangeWidth));
        ColumnIo.Read(ref src, store._outlierRate.AsSpan(0, c * store.OutlierRateWidth));
        ColumnIo.Read(ref src, store._routine.AsSpan(0, c * store.RoutineWidth * RoutineStride));
        ColumnIo.Read(ref src, store._exceedRate.AsSpan(0, c * store.TailWidth));
        ColumnIo.Read(ref src, store._mbVar.AsSpan(0, c * store.MbVarWidth));
        ColumnIo.Read(ref src, store._innovAbs.AsSpan(0, c * store.InnovWidth));
        ColumnIo.Read(ref src, store._prevR.AsSpan(0, c * store.InnovWidth));
        ColumnIo.Read(ref src, store._rrNum.AsSpan(0, c * store.InnovWidth));
        ColumnIo.Read(ref src, store._rrDen.AsSpan(0, c * store.InnovWidth));
        ColumnIo.Read(ref src, store._anomalySum.AsSpan(0, c * store.AnomalyWidth));
        ColumnIo.Read(ref src, store._anomalyModel.AsSpan(0, c * store.AnomalyModelWidth));
        if (version >= 5)
        {
            ColumnIo.Read(ref src, store._histNext.AsSpan(0, c));
            ColumnIo.Read(ref src, store._histSum.AsSpan(0, c));
            ColumnIo.Read(ref src, store._histN.AsSpan(0, c));
            ColumnIo.Read(ref src, store._historyHandle.AsSpan(0, c));
        }

        if (version >= 7)
        {
            // Before version 7 there was no trend: series start without a slope.
            ColumnIo.Read(ref src, store._slope.AsSpan(0, c * store.TrendWidth));
        }

        store._tests = FloatSlabPool.Load(ref src);
        store._dailyProfiles = FloatSlabPool.Load(ref src);
        store._weeklyProfiles = FloatSlabPool.Load(ref src);
        if (version >= 5)
        {
            store._histories = FloatSlabPool.Load(ref src);
            store._periodicProfiles = FloatSlabPool.Load(ref src);
            if (version >= 6)
            {
                // Before version 6 there was no force_time_shift: the models' time was the bucket time.
                store._timeShiftMs = BinaryPrimitives.ReadInt64LittleEndian(src);
            }
        }
        else
        {
            // Before version 5 there was no value history: series without a seasonal component start one now.
            for (var s = 0; s < c; s++)
            {
                store._historyHandle[s] = -1;
                if (store._n[s] > 0 && store._profileHandle[s] < 0)
                {
                    store.StartHistory(s, store._lastDay[s] * DayMs);
                }
            }
        }
        if (version < 4)
        {
            // Before version 4 profiles were float bins (then the scale bins), up to 336 weekly bins.
            store._dailyProfiles = store.FromFloatProfiles(store._dailyProfiles, bins / 1000, store._dailyShape.Bins);
            store._weeklyProfiles = store.FromFloatProfiles(store._weeklyProfiles, bins % 1000, store._weeklyShape.Bins);
        }

        return store;
    }

    private void Initialize(int s, long t, double x)
    {
        _n[s] = 1;
        _level[s] = x;
        _baseline[s] = x;
        _prevX[s] = x;
        _firstMs[s] = t;
        if (_options.RangeNovelty)
        {
            _rangeMin[s] = x;
            _rangeMax[s] = x;
        }
        _lastDay[s] = DayIndex(t);
        if (x < 0)
        {
            _flags[s] |= FlagNegativeSeen;
        }
        if (_daily)
        {
            _testHandle[s] = _tests.Allocate();
        }

        StartHistory(s, t);
        if (_historyHandle[s] >= 0)
        {
            AddToHistory(s, t, x);
        }
    }

    private void Update(
        int s, long t, double x, double e, double z, double zc, double logTail, bool gated, double n,
        double mbNum, double mbDen, double mbSq)
    {
        // Outlier weight (ml-cpp rule), relaxed after a change; no down-weighting in warm-up.
        var relaxing = _relax[s] > 0;
        var minWeight = relaxing ? 0.5 : 0.01;
        var tailMinWeight = minWeight;
        if (_options.RecurringOutlierLearning && !gated)
        {
            // Outliers (tail p < 1e-3) that recur far more often than the tail model allows are
            // part of the series' behaviour: the tail-shape estimate (mean squared residual, hence
            // ν) learns from them with a minimum weight of 0.01·(rate / 1e-3)^1.75, so a series with a
            // daily cron spike or bursty counts grows heavier tails. Level and scale keep ml-cpp's
            // down-weighting, so a one-off anomaly still does not move the prediction.
            var isOutlier = logTail < LogOutlierHigh ? 1.0 : 0.0;
            var rate = _outlierRate[s] + Math.Max(1.0 / (n + 1), OutlierRateStep) * (isOutlier - _outlierRate[s]);
            _outlierRate[s] = rate;
            var excess = rate / ExpectedOutlierRate;
            tailMinWeight = Math.Max(minWeight, Math.Min(1.0, 0.01 * Math.Pow(excess, 1.75)));
        }

        var w = 1.0;
        var wTail = 1.0;
        if (!gated && logTail < LogOutlierHigh)
        {
            var f = Math.Min(1.0, (LogOutlierHigh - logTail) / (LogOutlierHigh - LogOutlierLow));
            w = Math.Exp(f * Math.Log(minWeight));
            wTail = Math.Exp(f * Math.Log(tailMinWeight));
        }


        var nNext = n + 1;
        _n[s] = nNext;
        var since = ++_sinceChange[s];
        var warm = 1.0 / nNext;
        var levelRate = Math.Max(warm, _levelRate);
        if (TrendWidth != 0 && (_flags[s] & FlagTrendActive) != 0)
        {
            _level[s] += _slope[s];
        }

        if (relaxing)
        {
            levelRate = Math.Max(levelRate, 1.0 / (since + 1));
            _relax[s]--;
        }

        var scaleRate = Math.Max(warm, _scaleRate);

        // Level and scale.
        _level[s] += levelRate * w * e;
        var absE = Math.Abs(e);
        _absDev[s] += scaleRate * w * (absE - _absDev[s]);
        var capped = Math.Min(absE, 10 * _absDev[s] + 1e-300);
        _sqDev[s] += scaleRate * wTail * (capped * capped - _sqDev[s]);

        // Resolution of the data (smallest non-zero step seen).
        var step = Math.Abs(x - _prevX[s]);
        if (step > 0 && step < _resolution[s])
        {
            _resolution[s] = step;
        }

        _prevX[s] = x;

        // Seasonal profile.
        if (_profileHandle[s] >= 0)
        {
            if ((_flags[s] & FlagPeriodic) != 0)
            {
                OnPeriodicBucket(s, t);
            }

            UpdateSeasonal(s, t, e, absE, w);
        }

        // Multi-bucket feature and residual autocorrelation (only once z is meaningful).
        if (n >= 3)
        {
            _mbNum[s] = mbNum;
            _mbDen[s] = mbDen;
            _mbSq[s] = mbSq;
            var arRate = Math.Max(warm, _scaleRate);
            _arNum[s] += arRate * (zc * _prevZ[s] - _arNum[s]);
            _arDen[s] += arRate * (zc * zc - _arDen[s]);
            _prevZ[s] = zc;
        }

        // Seasonality tests and period boundaries.
        var day = DayIndex(t);
        if (_testHandle[s] >= 0)
        {
            AccumulateTest(s, t, x, e, day);
        }

        if (day > _lastDay[s])
        {
            // Days only move forward: after a negative time shift the replayed hours belong to the day already started.
            OnNewDay(s, t, day);
            _lastDay[s] = day;
        }

        if (_historyHandle[s] >= 0)
        {
            AddToHistory(s, t, x);
        }

        var baselineRate = Math.Max(warm, _baselineRate);
        _baseline[s] += baselineRate * (x - _baseline[s]);

        if (gated)
        {
            return;
        }

        // Change detection: CUSUMs on the clipped standardized residual (level) and on |z| (scale).
        var z4 = Math.Clamp(z, -4.0, 4.0);
        var cp = _cusumPos[s] + z4 - 0.5;
        if (cp <= 0)
        {
            cp = 0;
            _posSum[s] = 0;
            _posCount[s] = 0;
        }
        else
        {
            _posSum[s] += e;
            _posCount[s]++;
        }

        var cn = _cusumNeg[s] - z4 - 0.5;
        if (cn <= 0)
        {
            cn = 0;
            _negSum[s] = 0;
            _negCount[s] = 0;
        }
        else
        {
            _negSum[s] += e;
            _negCount[s]++;
        }

        var cv = _cusumVar[s] + Math.Min(Math.Abs(z), 4.0) - 1.5;
        if (cv <= 0)
        {
            cv = 0;
            _varSum[s] = 0;
            _varCount[s] = 0;
        }
        else
        {
            _varSum[s] += absE;
            _varCount[s]++;
        }

        _cusumPos[s] = (float)cp;
        _cusumNeg[s] = (float)cn;
        _cusumVar[s] = (float)cv;
        var h = _options.ChangeThreshold;
        var persist = _options.ChangeMinimumBuckets;
        var upShift = cp > h && _posCount[s] >= persist;
        var downShift = cn > h && _negCount[s] >= persist;
        if (upShift || downShift)
        {
            var shift = upShift ? _posSum[s] / Math.Max(1, _posCount[s]) : _negSum[s] / Math.Max(1, _negCount[s]);
            if (TrendWidth != 0)
            {
                LearnTrendFromShift(s, shift);
            }

            ApplyLevelShift(s, shift);
        }
        else if (cv > h && _varCount[s] > 0)
        {
            var newAbs = _varSum[s] / _varCount[s];
            if (newAbs > _absDev[s])
            {
                _absDev[s] = newAbs;
                _sqDev[s] = newAbs * newAbs * ShapeRatio[30];
            }

            ResetChangeState(s);
        }
    }

    /// <summary>
    /// Learns the log-space error model and chooses between it and the raw-space model by their
    /// exponentially weighted predictive log-likelihoods (the log model's density includes the
    /// Jacobian 1/(x + c)). This is a two-member stand-in for ml-cpp's one-of-N prior, which weighs
    /// normal, log-normal and gamma residual models by their marginal likelihoods.
    /// </summary>
    private void UpdateLogModel(
        int s, double n, double u, double zRaw, double rawScale, double nuRaw, double zLog, double logScale, double nuLog,
        double shifted, double logTail, bool gated)
    {
        var w = 1.0;
        if (!gated && logTail < LogOutlierHigh)
        {
            var f = Math.Min(1.0, (LogOutlierHigh - logTail) / (LogOutlierHigh - LogOutlierLow));
            w = Math.Exp(f * Math.Log(_relax[s] > 0 ? 0.5 : 0.01));
        }

        var rate = Math.Max(1.0 / (n + 1), _scaleRate);
        if (n >= 3)
        {
            var llRaw = LogDensity(Math.Clamp(zRaw, -ZClip, ZClip), nuRaw) - Math.Log(rawScale);
            var llLog = LogDensity(Math.Clamp(zLog, -ZClip, ZClip), nuLog) - Math.Log(logScale) - Math.Log(shifted);
            var diff = Math.Clamp(llLog - llRaw, -10.0, 10.0);
            _llDiff[s] += rate * (diff - _llDiff[s]);
            var flags = _flags[s];
            if ((flags & FlagLogModel) == 0 && _llDiff[s] > 0.05)
            {
                _flags[s] = flags | FlagLogModel;
            }
            else if ((flags & FlagLogModel) != 0 && _llDiff[s] < -0.05)
            {
                _flags[s] = flags & ~FlagLogModel;
            }
        }

        var dev = u - _logBias[s];
        _logBias[s] += rate * w * dev;
        var absDev = Math.Abs(dev);
        _logAbs[s] += rate * w * (absDev - _logAbs[s]);
        var capped = Math.Min(absDev, 10 * _logAbs[s] + 1e-300);
        _logSq[s] += rate * w * (capped * capped - _logSq[s]);
    }

    /// <summary>
    /// Empirical tail calibration: the series keeps exponentially weighted rates of |z| exceeding
    /// 3, 6, 12, 24 and 48, each starting at (and shrunk towards, with a prior weight of 100
    /// buckets) the rate the Student-t model implies. A bucket's tail probability is the larger of
    /// the model's and the empirical one, interpolated log-linearly in ln|z| between levels and
    /// extended beyond 48 with the t's power-law slope. A series where huge residuals recur (a
    /// nightly job spike) thus stops scoring each recurrence as a 1e-27 event, while a quiet series
    /// keeps its far tails. A cheap, monotone stand-in for an EVT (GPD) tail fit.
    /// </summary>
    private double CalibrateTail(int s, double logTwoSided, double z, double nu, double n, bool readOnly)
    {
        Span<double> copy = stackalloc double[TailLevels];
        scoped var rates = _exceedRate.AsSpan(s * TailLevels, TailLevels);
        if (readOnly)
        {
            // Score only: the rates a first call would start from are set up in a copy, and the rates do not learn.
            rates.CopyTo(copy);
            rates = copy;
        }

        var nuIndex = (int)nu;
        if (rates[0] <= 0)
        {
            for (var k = 0; k < TailLevels; k++)
            {
                rates[k] = Math.Exp(SpecialFunctions.LogStudentTwoSidedTail(TailLevel(k), nuIndex));
            }
        }

        var az = Math.Abs(z);
        var result = logTwoSided;
        if (az > TailLevel(0))
        {
            var lnz = Math.Log(az);
            var k = 0;
            while (k + 1 < TailLevels && az > TailLevel(k + 1))
            {
                k++;
            }

            var lr0 = Math.Log(rates[k]);
            double empirical;
            if (k + 1 < TailLevels)
            {
                var lr1 = Math.Log(rates[k + 1]);
                empirical = lr0 + (lr1 - lr0) * (lnz - Math.Log(TailLevel(k))) / Math.Log(2.0);
            }
            else
            {
                empirical = lr0 - nu * (lnz - Math.Log(TailLevel(k)));
            }

            result = Math.Min(0.0, Math.Max(logTwoSided, empirical));
        }

        if (readOnly)
        {
            return result;
        }

        var step = Math.Max(1.0 / (n + 1000), _scaleRate);
        for (var k = 0; k < TailLevels; k++)
        {
            rates[k] += step * ((az > TailLevel(k) ? 1.0 : 0.0) - rates[k]);
            rates[k] = Math.Max(rates[k], 1e-300);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double TailLevel(int k) => 3.0 * (1 << k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LogDensity(double z, double nu) =>
        LogDensityConstant[(int)nu] - 0.5 * (nu + 1) * Math.Log(1 + z * z / nu);

    private void ApplyLevelShift(int s, double shift)
    {
        _level[s] += shift;
        _baseline[s] += shift;
        ResetChangeState(s);
        _shift[s] = shift;
        _mbNum[s] = 0;
        _mbDen[s] = 0;
        _mbSq[s] = 0;
        _prevZ[s] = 0;
        if (_options.InnovationModel)
        {
            _prevR[s] = 0;
        }
        // The seasonality test keeps its bins: deviations are measured from the (shifted) baseline,
        // and a pattern that repeats daily must not be mistaken for, and erased by, level changes.
    }

    /// <summary>Undoes the last level shift (see <see cref="SeriesModelOptions.RevertTransientShifts"/>).</summary>
    private void RevertShift(int s)
    {
        ForgetTrendRun(s);
        var shift = _shift[s];
        _level[s] -= shift;
        _baseline[s] -= shift;
        _shift[s] = 0;
        _mbNum[s] = 0;
        _mbDen[s] = 0;
        _mbSq[s] = 0;
        _prevZ[s] = 0;
        _cusumPos[s] = 0;
        _cusumNeg[s] = 0;
        _posSum[s] = 0;
        _negSum[s] = 0;
        _posCount[s] = 0;
        _negCount[s] = 0;
    }

    private void ResetChangeState(int s)
    {
        _cusumPos[s] = 0;
        _cusumNeg[s] = 0;
        _cusumVar[s] = 0;
        _posSum[s] = 0;
        _negSum[s] = 0;
        _varSum[s] = 0;
        _posCount[s] = 0;
        _negCount[s] = 0;
        _varCount[s] = 0;
        _relax[s] = _options.ChangeRelaxBuckets;
        _sinceChange[s] = 0;
        _shift[s] = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DayIndex(long t) => (int)Math.Floor(t / (double)DayMs);

    /// <summary>Student-t degrees of freedom: small in warm-up, then from the residual shape ratio.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double DegreesOfFreedom(double abs, double sq, double n)
    {
        var nuShape = 30;
        if (abs > 0)
        {
            var ratio = sq / (abs * abs);
            // ShapeRatio decreases with ν; find the first ν whose ratio is at or below the measured one.
            nuShape = 5;
            while (nuShape < 30 && ShapeRatio[nuShape] > ratio)
            {
                nuShape++;
            }
        }

        return Math.Clamp(Math.Min(n - 1, nuShape), 2, 30);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ApplyTail(double logTwoSided, double z, Tail tail) => tail switch
    {
        Tail.High => z > 0 ? logTwoSided : 0.0,
        Tail.Low => z < 0 ? logTwoSided : 0.0,
        _ => logTwoSided,
    };

    /// <summary>
    /// ln of the joint probability of the single and multi-bucket features: each p becomes a
    /// normal score z = Φ⁻¹(p/2), and the pair's Mahalanobis distance M under equicorrelation ρ
    /// gives p = P(χ²₂ &gt; M) = e^(−M/2) (ml-cpp's joint with n = 2).
    /// </summary>
    internal static double JointLogProbability(double logSingle, double logMulti)
    {
        if (logSingle >= 0 && logMulti >= 0)
        {
            return 0.0;
        }

        const double Ln2 = 0.6931471805599453;
        var z1 = logSingle >= 0 ? 0.0 : SpecialFunctions.NormalQuantileFromLog(logSingle - Ln2);
        var z2 = logMulti >= 0 ? 0.0 : SpecialFunctions.NormalQuantileFromLog(logMulti - Ln2);
        const double Rho = MultiBucketCorrelation;
        var m = (z1 * z1 - 2 * Rho * z1 * z2 + z2 * z2) / (1 - Rho * Rho);
        return Math.Min(0.0, -0.5 * m);
    }

    /// <summary>ES <c>multi_bucket_impact</c> from the single and multi-bucket log probabilities (ml-cpp formula).</summary>
    internal static double MultiBucketImpact(double logSingle, double logMulti)
    {
        var scale = 5.0 * Math.Min(logSingle, logMulti) / Math.Min(Math.Max(logSingle, logMulti), -0.001) / Math.Log(1000);
        var impact = Math.Floor(Math.Clamp(scale * (logSingle - logMulti), -5.0, 5.0) * 100) / 100;
        return impact == 0 ? 0.0 : impact; // never report −0
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToProbability(double logP) =>
        Math.Clamp(Math.Exp(logP), SpecialFunctions.MinProbability, 1.0);

    private void Grow(int capacity)
    {
        if (capacity <= _capacity)
        {
            return;
        }

        Array.Resize(ref _n, capacity);
        Array.Resize(ref _level, capacity);
        Array.Resize(ref _absDev, capacity);
        Array.Resize(ref _sqDev, capacity);
        Array.Resize(ref _baseline, capacity);
        Array.Resize(ref _mbNum, capacity);
        Array.Resize(ref _mbDen, capacity);
        Array.Resize(ref _mbSq, capacity);
        Array.Resize(ref _arNum, capacity);
        Array.Resize(ref _arDen, capacity);
        Array.Resize(ref _prevZ, capacity);
        Array.Resize(ref _cusumPos, capacity);
        Array.Resize(ref _cusumNeg, capacity);
        Array.Resize(ref _cusumVar, capacity);
        Array.Resize(ref _posSum, capacity);
        Array.Resize(ref _negSum, capacity);
        Array.Resize(ref _varSum, capacity);
        Array.Resize(ref _resolution, capacity);
        Array.Resize(ref _prevX, capacity);
        Array.Resize(ref _shift, capacity);
        Array.Resize(ref _logAbs, capacity * LogWidth);
        Array.Resize(ref _logSq, capacity * LogWidth);
        Array.Resize(ref _logBias, capacity * LogWidth);
        Array.Resize(ref _llDiff, capacity * LogWidth);
        Array.Resize(ref _firstMs, capacity);
        Array.Resize(ref _posCount, capacity);
        Array.Resize(ref _negCount, capacity);
        Array.Resize(ref _varCount, capacity);
        Array.Resize(ref _relax, capacity);
        Array.Resize(ref _slope, capacity * TrendWidth);
        Array.Resize(ref _sinceChange, capacity);
        Array.Resize(ref _testHandle, capacity);
        Array.Resize(ref _profileHandle, capacity);
        Array.Resize(ref _historyHandle, capacity);
        Array.Resize(ref _histNext, capacity);
        Array.Resize(ref _histSum, capacity);
        Array.Resize(ref _histN, capacity);
        Array.Resize(ref _lastDay, capacity);
        Array.Resize(ref _flags, capacity);
        Array.Resize(ref _seasonAge, capacity);
        Array.Resize(ref _anomalyLength, capacity * AnomalyWidth);
        Array.Resize(ref _rangeMin, capacity * RangeWidth);
        Array.Resize(ref _rangeMax, capacity * RangeWidth);
        Array.Resize(ref _outlierRate, capacity * OutlierRateWidth);
        Array.Resize(ref _routine, capacity * RoutineWidth * RoutineStride);
        Array.Resize(ref _exceedRate, capacity * TailWidth);
        Array.Resize(ref _mbVar, capacity * MbVarWidth);
        Array.Resize(ref _innovAbs, capacity * InnovWidth);
        Array.Resize(ref _prevR, capacity * InnovWidth);
        Array.Resize(ref _rrNum, capacity * InnovWidth);
        Array.Resize(ref _rrDen, capacity * InnovWidth);
        Array.Resize(ref _anomalySum, capacity * AnomalyWidth);
        Array.Resize(ref _anomalyModel, capacity * AnomalyModelWidth);
        _capacity = capacity;
    }

    /// <summary>sqrt(E[min(T², c²)]) for a unit-scale Student-t per ν (numerical integration).</summary>
    private static double[] BuildClippedSd(double clip)
    {
        var table = new double[31];
        for (var nu = 1; nu <= 30; nu++)
        {
            const int Steps = 4000;
            var h = clip / Steps;
            var inside = 0.0;
            var mass = 0.0;
            for (var i = 0; i < Steps; i++)
            {
                var x = (i + 0.5) * h;
                var d = Math.Exp(LogDensity(x, nu)) * h;
                inside += x * x * d;
                mass += d;
            }

            table[nu] = Math.Sqrt(2 * inside + (1 - 2 * mass) * clip * clip);
        }

        table[0] = table[1];
        return table;
    }

    /// <summary>E|T| for a unit-scale Student-t with ν degrees of freedom, ν = 0..30 (entries below 2 unused).</summary>
    private static double[] BuildMeanAbsT()
    {
        var table = new double[31];
        table[0] = table[1] = 1.0;
        for (var nu = 2; nu <= 30; nu++)
        {
            table[nu] = 2 * Math.Sqrt(nu) * Math.Exp(SpecialFunctions.LogGamma((nu + 1) / 2.0) - SpecialFunctions.LogGamma(nu / 2.0))
                / (Math.Sqrt(Math.PI) * (nu - 1));
        }

        return table;
    }

    /// <summary>E[T²]/E[|T|]² per ν (infinite for ν ≤ 2); π/2 for the normal limit.</summary>
    private static double[] BuildShapeRatio()
    {
        var table = new double[31];
        var meanAbs = BuildMeanAbsT();
        for (var nu = 0; nu <= 30; nu++)
        {
            table[nu] = nu <= 2 ? double.PositiveInfinity : nu / (nu - 2.0) / (meanAbs[nu] * meanAbs[nu]);
        }

        return table;
    }

    /// <summary>ln of the Student-t density normalising constant per ν.</summary>
    private static double[] BuildLogDensityConstant()
    {
        var table = new double[31];
        for (var nu = 1; nu <= 30; nu++)
        {
            table[nu] = SpecialFunctions.LogGamma((nu + 1) / 2.0) - SpecialFunctions.LogGamma(nu / 2.0) - 0.5 * Math.Log(nu * Math.PI);
        }

        table[0] = table[1];
        return table;
    }

    /// <summary>97.5% quantiles of the Student-t per ν (Cornish–Fisher expansion around the normal quantile).</summary>
    private static double[] BuildQuantile975()
    {
        var table = new double[31];
        const double Z = 1.959963984540054;
        for (var nu = 1; nu <= 30; nu++)
        {
            double v = nu;
            var z3 = Z * Z * Z;
            var z5 = z3 * Z * Z;
            var z7 = z5 * Z * Z;
            table[nu] = Z + (z3 + Z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * Z) / (96 * v * v)
                + (3 * z7 + 19 * z5 + 17 * z3 - 15 * Z) / (384 * v * v * v);
        }

        table[0] = table[1];
        return table;
    }
}
