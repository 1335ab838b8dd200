using System.Runtime.CompilerServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Seasonal components of <see cref="SeriesModelStore"/>: online tests, profiles and their updates.</summary>
/// <remarks>
/// <para>A series first runs a daily test: deviations from a one-day-half-life baseline are binned by
/// hour of day, separately for even and odd days. The component is accepted only when the even-day
/// and odd-day profiles agree (correlation ≥ 0.7) and the combined profile explains at least 20% of
/// the variance, after at least five days with every hour bin seen at least twice per parity, and the value history
/// (<see cref="HistoryConfirmsPeriod"/>) must agree that a day-long cycle is there. A
/// random walk or a one-off excursion produces unrelated even/odd profiles, so it does not pass
/// (engine-research §6.5.3 asks for strict tests against spurious seasonality).</para>
/// <para>Once daily is accepted, the same block tests residual offsets per 8-hour block of the week
/// (21 bins) over even and odd weeks (four weeks minimum, correlation ≥ 0.7, ≥ 10% of the residual variance). On acceptance
/// the daily profile is expanded into a weekly profile (daily shape + block offset), which then learns
/// weekday/weekend shape differences bin by bin.</para>
/// <para>Profiles hold one offset per bucket of the period up to 288 (daily) or 168 (weekly) bins, as 16-bit steps of a per-profile range (<see cref="QuantizedProfile"/>);
/// coarser than the bucket span they interpolate linearly. Each bin learns as a running mean over
/// periods, 1/(age+1), floored at <see cref="SeriesModelOptions.SeasonalLearningRate"/>. A coarse
/// hour-of-day mean absolute residual scales the noise (clamped to [0.5, 2], as ml-cpp's seasonal
/// variance scale).</para>
/// </remarks>
public sealed partial class SeriesModelStore
{
    private const int WeeklyTestMode = 1;
    private const int BlocksPerDay = 3;
    private const int DowBins = 7 * BlocksPerDay;

    /// <summary>Bin geometry of a periodic profile.</summary>
    private readonly struct Periodic
    {
        public Periodic(long periodMs, long spanMs, int maxBins)
        {
            PeriodMs = periodMs;
            var bucketsPerPeriod = (double)periodMs / spanMs;
            Bins = (int)Math.Max(1, Math.Min(maxBins, Math.Floor(bucketsPerPeriod)));
            Interpolate = periodMs % spanMs != 0 || Bins * spanMs != periodMs;
            UpdatesPerBin = Math.Max(1.0, bucketsPerPeriod / Bins);
        }

        public long PeriodMs { get; }

        public int Bins { get; }

        public bool Interpolate { get; }

        public double UpdatesPerBin { get; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Locate(in Periodic shape, long t, out int bin0, out int bin1, out double frac)
    {
        var mid = t + _options.BucketSpanMs / 2;
        var pos = (double)(((mid % shape.PeriodMs) + shape.PeriodMs) % shape.PeriodMs) / shape.PeriodMs * shape.Bins;
        if (!shape.Interpolate)
        {
            bin0 = Math.Min((int)pos, shape.Bins - 1);
            bin1 = bin0;
            frac = 0;
            return;
        }

        pos -= 0.5;
        if (pos < 0)
        {
            pos += shape.Bins;
        }

        bin0 = Math.Min((int)pos, shape.Bins - 1);
        frac = pos - bin0;
        bin1 = bin0 + 1 == shape.Bins ? 0 : bin0 + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int HourBin(long t)
    {
        var mid = t + _options.BucketSpanMs / 2;
        return (int)((((mid % DayMs) + DayMs) % DayMs) * ScaleBins / DayMs);
    }

    private double SeasonalPrediction(int s, long t, out double binScale)
    {
        if ((_flags[s] & FlagPeriodic) != 0)
        {
            var profile = PeriodicProfile(s, out var periodic);
            Locate(periodic, t, out var p0, out var p1, out var pf);
            binScale = profile.Scale(PhaseScaleBin(periodic, t));
            return (1 - pf) * profile[p0] + pf * profile[p1];
        }

        var weekly = (_flags[s] & FlagWeekly) != 0;
        var shape = weekly ? _weeklyShape : _dailyShape;
        var block = Profile(s, weekly);
        Locate(shape, t, out var b0, out var b1, out var f);
        binScale = block.Scale(HourBin(t));
        return (1 - f) * block[b0] + f * block[b1];
    }

    private void UpdateSeasonal(int s, long t, double e, double absE, double w)
    {
        if ((_flags[s] & FlagPeriodic) != 0)
        {
            UpdatePeriodic(s, t, e, absE, w);
            return;
        }

        var weekly = (_flags[s] & FlagWeekly) != 0;
        var shape = weekly ? _weeklyShape : _dailyShape;
        var block = Profile(s, weekly);
        Locate(shape, t, out var b0, out var b1, out var f);
        var rate = Math.Max(1.0 / (_seasonAge[s] + 1), _options.SeasonalLearningRate) / shape.UpdatesPerBin * w;
        block.Set(b0, block[b0] + (rate * (1 - f) * e));
        if (b1 != b0)
        {
            block.Set(b1, block[b1] + (rate * f * e));
        }

        ref var hourScale = ref block.Scale(HourBin(t));
        var scaleRate = _options.SeasonalLearningRate / Math.Max(1.0, _bucketsPerDay / ScaleBins) * w;
        if (weekly)
        {
            scaleRate /= 7;
        }

        hourScale = (float)(hourScale + scaleRate * (absE - hourScale));
    }

    private void UpdatePeriodic(int s, long t, double e, double absE, double w)
    {
        var profile = PeriodicProfile(s, out var shape);
        Locate(shape, t, out var b0, out var b1, out var f);
        var rate = Math.Max(1.0 / (_seasonAge[s] + 1), _options.SeasonalLearningRate) / shape.UpdatesPerBin * w;
        profile.Set(b0, profile[b0] + (rate * (1 - f) * e));
        if (b1 != b0)
        {
            profile.Set(b1, profile[b1] + (rate * f * e));
        }

        ref var phaseScale = ref profile.Scale(PhaseScaleBin(shape, t));
        var bucketsPerScaleBin = (double)shape.PeriodMs / _options.BucketSpanMs / ScaleBins;
        var scaleRate = _options.SeasonalLearningRate / Math.Max(1.0, bucketsPerScaleBin) * w;
        phaseScale = (float)(phaseScale + scaleRate * (absE - phaseScale));
    }

    private void AccumulateTest(int s, long t, double x, double e, int day)
    {
        var test = _tests.Block(_testHandle[s]);
        if (test[TestModeIndex] == WeeklyTestMode)
        {
            var mid = t + _options.BucketSpanMs / 2;
            var dow = (int)((((mid % WeekMs) + WeekMs) % WeekMs) * DowBins / WeekMs);
            var parity = (int)(Math.Floor(mid / (double)WeekMs) % 2 + 2) % 2;
            var offset = parity * 2 * DowBins;
            test[offset + dow] += (float)e;
            test[offset + DowBins + dow] += 1f;
            test[4 * DowBins] += (float)e;
            test[4 * DowBins + 1] += (float)(e * e);
            test[4 * DowBins + 2] += 1f;
            return;
        }

        var d = x - _baseline[s];
        var hour = HourBin(t);
        var parityOffset = (day & 1) * 2 * TestBins;
        test[parityOffset + hour] += (float)d;
        test[parityOffset + TestBins + hour] += 1f;
        test[4 * TestBins] += (float)d;
        test[4 * TestBins + 1] += (float)(d * d);
        test[4 * TestBins + 2] += 1f;
    }

    private void OnNewDay(int s, long t, int day)
    {
        var flags = _flags[s];
        if ((flags & FlagDaily) != 0 || ((flags & FlagWeekly) != 0 && IsWeekStart(t)))
        {
            Recenter(s);
            _seasonAge[s]++;
        }

        if (_testHandle[s] < 0)
        {
            return;
        }

        var test = _tests.Block(_testHandle[s]);
        if (test[TestModeIndex] == WeeklyTestMode)
        {
            TestWeekly(s, day, test);
        }
        else
        {
            TestDaily(s, t, day, test);
        }
    }

    private bool IsWeekStart(long t)
    {
        var mid = t + _options.BucketSpanMs / 2;
        return (((mid % WeekMs) + WeekMs) % WeekMs) < DayMs;
    }

    private void TestDaily(int s, long t, int day, Span<float> test)
    {
        var firstDay = DayIndex(_firstMs[s]);
        if (day - firstDay < 5 || test[4 * TestBins + 2] < 4 * TestBins)
        {
            return;
        }

        Span<double> even = stackalloc double[TestBins];
        Span<double> odd = stackalloc double[TestBins];
        Span<double> both = stackalloc double[TestBins];
        for (var b = 0; b < TestBins; b++)
        {
            var c0 = test[TestBins + b];
            var c1 = test[3 * TestBins + b];
            if (c0 < 2 || c1 < 2)
            {
                return;
            }

            even[b] = test[b] / c0;
            odd[b] = test[2 * TestBins + b] / c1;
            both[b] = (test[b] + test[2 * TestBins + b]) / (c0 + c1);
        }

        var rho = Correlation(even, odd);
        var meanBoth = Mean(both);
        var between = 0.0;
        for (var b = 0; b < TestBins; b++)
        {
            var db = both[b] - meanBoth;
            between += (test[TestBins + b] + test[3 * TestBins + b]) * db * db;
        }

        var total = (double)test[4 * TestBins + 2];
        var sumD = (double)test[4 * TestBins];
        var totalSs = test[4 * TestBins + 1] - sumD * sumD / total;
        var explained = totalSs > 0 ? between / totalSs : 0;
        if (rho < 0.7 || explained < 0.2)
        {
            if (day - firstDay > 28)
            {
                // Keep the test recent: restart it so old data cannot dominate.
                test.Clear();
                _firstMs[s] = Math.Max(_firstMs[s], t - 7 * DayMs);
            }

            return;
        }

        if (!HistoryConfirmsPeriod(s, DayMs))
        {
            // The value history's fold test does not see a day-long cycle (or does not hold four days yet): keep
            // testing. Random walks and autocorrelated noise pass the hour-profile test above by chance.
            return;
        }

        // Accept: seed the profile from the hourly means, interpolated to the profile bins.
        var profile = _dailyProfiles.Allocate();
        var bins = _dailyShape.Bins;
        var block = new QuantizedProfile(_dailyProfiles.Block(profile), bins, ScaleBins);
        Span<double> seeded = stackalloc double[bins];
        var residualAbs = _absDev[s] * Math.Sqrt(Math.Max(1 - explained, 0.05));
        for (var b = 0; b < bins; b++)
        {
            var pos = (b + 0.5) * TestBins / bins - 0.5;
            var lo = (int)Math.Floor(pos);
            var frac = pos - lo;
            var i0 = (lo + TestBins) % TestBins;
            var i1 = (lo + 1) % TestBins;
            seeded[b] = (1 - frac) * (both[i0] - meanBoth) + frac * (both[i1] - meanBoth);
        }

        block.SetAll(seeded);
        for (var h = 0; h < ScaleBins; h++)
        {
            block.Scale(h) = (float)residualAbs;
        }

        _level[s] = _baseline[s] + meanBoth;
        _absDev[s] = residualAbs;
        _sqDev[s] = residualAbs * residualAbs * ShapeRatio[8];
        _profileHandle[s] = profile;
        _flags[s] |= FlagDaily;
        FreeHistory(s);
        _seasonAge[s] = 1;
        _relax[s] = Math.Max(_relax[s], (int)Math.Min(int.MaxValue, DayMs / _options.BucketSpanMs));
        _sinceChange[s] = 0;
        _shift[s] = 0; // the level was just re-estimated: an earlier shift can no longer be undone
        _mbNum[s] = 0;
        _mbDen[s] = 0;
        _mbSq[s] = 0;

        // Reuse the test block for the weekly test when the span allows one.
        test.Clear();
        test[TestModeIndex] = WeeklyTestMode;
        test[TestStartIndex] = day;
    }

    private void TestWeekly(int s, int day, Span<float> test)
    {
        var start = (int)test[TestStartIndex];
        if (day - start < 28)
        {
            return;
        }

        Span<double> even = stackalloc double[DowBins];
        Span<double> odd = stackalloc double[DowBins];
        Span<double> both = stackalloc double[DowBins];
        for (var b = 0; b < DowBins; b++)
        {
            var c0 = test[DowBins + b];
            var c1 = test[3 * DowBins + b];
            if (c0 < 1 || c1 < 1)
            {
                return;
            }

            even[b] = test[b] / c0;
            odd[b] = test[2 * DowBins + b] / c1;
            both[b] = (test[b] + test[2 * DowBins + b]) / (c0 + c1);
        }

        var rho = Correlation(even, odd);
        var meanBoth = Mean(both);
        var between = 0.0;
        for (var b = 0; b < DowBins; b++)
        {
            var db = both[b] - meanBoth;
            between += (test[DowBins + b] + test[3 * DowBins + b]) * db * db;
        }

        var total = (double)test[4 * DowBins + 2];
        var sum = (double)test[4 * DowBins];
        var totalSs = test[4 * DowBins + 1] - sum * sum / total;
        var explained = totalSs > 0 ? between / totalSs : 0;
        if (rho < 0.7 || explained < 0.1)
        {
            if (day - start > 56)
            {
                test.Clear();
                test[TestModeIndex] = WeeklyTestMode;
                test[TestStartIndex] = day;
            }

            return;
        }

        var daily = Profile(s, weekly: false);
        var weeklyHandle = _weeklyProfiles.Allocate();
        var bins = _weeklyShape.Bins;
        var weekly = new QuantizedProfile(_weeklyProfiles.Block(weeklyHandle), bins, ScaleBins);
        var dailyBins = _dailyShape.Bins;
        Span<double> expanded = stackalloc double[bins];
        for (var b = 0; b < bins; b++)
        {
            var offsetMs = (long)((b + 0.5) * WeekMs / bins);
            var dow = (int)(offsetMs * DowBins / WeekMs);
            var dayPos = (double)(offsetMs % DayMs) / DayMs * dailyBins;
            double shape;
            if (_dailyShape.Interpolate)
            {
                dayPos -= 0.5;
                if (dayPos < 0)
                {
                    dayPos += dailyBins;
                }

                var d0 = Math.Min((int)dayPos, dailyBins - 1);
                var f = dayPos - d0;
                shape = (1 - f) * daily[d0] + f * daily[d0 + 1 == dailyBins ? 0 : d0 + 1];
            }
            else
            {
                shape = daily[Math.Min((int)dayPos, dailyBins - 1)];
            }

            expanded[b] = shape + both[dow] - meanBoth;
        }

        weekly.SetAll(expanded);
        for (var h = 0; h < ScaleBins; h++)
        {
            weekly.Scale(h) = daily.Scale(h);
        }

        _level[s] += meanBoth;
        _dailyProfiles.Free(_profileHandle[s]);
        _profileHandle[s] = weeklyHandle;
        _flags[s] = (_flags[s] & ~FlagDaily) | FlagWeekly;
        _seasonAge[s] = 2;
        _tests.Free(_testHandle[s]);
        _testHandle[s] = -1;
    }

    /// <summary>The seasonal profile block of series <paramref name="s"/>.</summary>
    private QuantizedProfile Profile(int s, bool weekly) => weekly
        ? new QuantizedProfile(_weeklyProfiles.Block(_profileHandle[s]), _weeklyShape.Bins, ScaleBins)
        : new QuantizedProfile(_dailyProfiles.Block(_profileHandle[s]), _dailyShape.Bins, ScaleBins);

    /// <summary>Moves the mean of the seasonal profile into the level so the profile stays centred.</summary>
    private void Recenter(int s)
    {
        var weekly = (_flags[s] & FlagWeekly) != 0;
        var block = (_flags[s] & FlagPeriodic) != 0 ? PeriodicProfile(s, out _) : Profile(s, weekly);
        var bins = block.Bins;
        var sum = 0.0;
        for (var b = 0; b < bins; b++)
        {
            sum += block[b];
        }

        var mean = sum / bins;
        block.Shift(-mean);
        _level[s] += mean;
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }

    private static double Correlation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var mx = Mean(x);
        var my = Mean(y);
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var dx = x[i] - mx;
            var dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : 0.0;
    }
}
