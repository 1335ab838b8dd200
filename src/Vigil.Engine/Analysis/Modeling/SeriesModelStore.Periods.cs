using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Seasonal periods other than daily and weekly: a bounded value history per series, a period test, a profile.</summary>
/// <remarks>
/// <para><b>History.</b> A series without a seasonal component keeps its last bucket values in a block of
/// <see cref="HistorySlots"/> 16-bit slots (a per-block offset and step, re-quantized when a value leaves the
/// range; slot value 0 marks a slot without data). A slot holds the mean of <c>f</c> consecutive buckets; when
/// the block is full, neighbouring slots are merged and <c>f</c> doubles, so the window expands over time
/// (ml-cpp's expanding short window) until it would cover more than four weeks, after which the oldest half is
/// dropped instead.</para>
/// <para><b>Test.</b> It runs when the history holds its window of C slots (C = N less an even number of slots
/// below 48 that depends on the series id), just before the history is downsampled or shifted: a series tests at
/// buckets C, 2C, 4C, … and, once the window stops expanding, every C/2 slots. Per bucket the cost falls over time,
/// and series that start together spread their tests over ever more buckets. The test:</para>
/// <list type="number">
/// <item>removes a least-squares line from the window and takes the autocorrelation at lags 1 … n/4; local
/// maxima of at least 0.2 (up to three, the largest) are candidate periods, together with the slot period of one day when it is a
/// whole number of slots;</item>
/// <item>per candidate p: removes a centred moving average of length p (2×p for even p, the classical
/// decomposition), folds the remaining values by phase, and requires that the profiles of even and odd
/// cycles agree (correlation ≥ 0.7), that the fold explains a large share of the variance after adjusting
/// for the p − 1 fitted means (adjusted R² ≥ 0.25) and that the residuals left by the fold are not
/// autocorrelated (lag-1 correlation &lt; 0.4), and an F-test of the fold at 1e-8 with the sample shrunk to its
/// effective size m(1 − ρ)/(1 + ρ) (strict, since a series is tested many times over many lags). The residual
/// condition rejects random walks and smooth drifts, whose detrended values fold into plausible-looking but
/// unrepeatable shapes; the even/odd agreement rejects one-off excursions;</item>
/// <item>candidates are visited in increasing period; a longer one replaces the current best only when its
/// adjusted R² is higher by 0.05, so the base period wins over its multiples. Periods that divide a day, and a
/// best period that is a multiple of a day no better than the day itself, are left to the daily test (which is
/// still running for the series), so daily and weekly seasonality keep their own test and profile.</item>
/// </list>
/// <para><b>Component.</b> On acceptance the series gets a profile of min(period, 288) bins (the daily profile's
/// <see cref="QuantizedProfile"/> and <see cref="Periodic"/> geometry, 24 noise-scale bins by phase of the period),
/// seeded from the fold, and frees its history and daily test block: a series has one seasonal component, daily,
/// weekly, or this one; its time-of-day outlier counts are cleared (they were mostly the unmodelled cycle). A series
/// that gets a daily component frees its history. There is no re-test or eviction
/// of an accepted period yet (as for the daily component).</para>
/// <para>Implementation note: ml-cpp (<c>CTimeSeriesTestForSeasonality</c>) tests candidates from the
/// autocorrelation of an expanding window with variance-reduction and amplitude tests; this is a smaller test in
/// the same spirit (engine-research §1.3, §6.5.3). Periods are found only as a whole number of slots, that is a
/// whole number of buckets times a power of two.</para>
/// </remarks>
public sealed partial class SeriesModelStore
{
    /// <summary>Slots of the value history of a series.</summary>
    internal const int HistorySlots = 128;

    private const int HistoryHeaderFloats = 10;
    private const int HistoryStride = HistoryHeaderFloats + (HistorySlots / 2);
    private const long HistoryMaxWindowMs = 28 * DayMs;
    private const int MaxPeriodicBins = 288;
    private const int PeriodicStrideExtra = 2;
    private const int FlagPeriodic = 32;
    private const double PeriodMinCorrelation = 0.7;
    private const double PeriodMinAdjustedExplained = 0.25;
    private const double PeriodMaxResidualCorrelation = 0.4;
    private const double StrongFoldAdjustedExplained = 0.6;
    private const double PeriodPreferLongerBy = 0.05;
    private const double PeriodMinAutocorrelation = 0.2;
    private const int PeriodCandidates = 3;
    private const double LogPeriodSignificance = -18.420680743952367; // ln 1e-8
    private const double QuantLevels = ushort.MaxValue - 1; // 1 … 65,535; 0 = no data

    /// <summary>Bytes of one value-history block.</summary>
    public static int HistoryBlockBytes => HistoryStride * sizeof(float);

    /// <summary>Bytes of one profile block of a period other than daily or weekly.</summary>
    public int PeriodicProfileBlockBytes => _periodicProfiles.Stride * sizeof(float);

    /// <summary>Series with a seasonal component of a period other than daily or weekly.</summary>
    public int PeriodicCount => _periodicProfiles.InUse;

    /// <summary>Whether the series has an accepted seasonal component of a period other than daily or weekly.</summary>
    public bool IsPeriodic(int series) => (_flags[series] & FlagPeriodic) != 0;

    /// <summary>Period of the series' seasonal component in milliseconds (daily, weekly or other), 0 without one.</summary>
    public long SeasonalPeriodMs(int series)
    {
        var flags = _flags[series];
        if ((flags & FlagPeriodic) != 0)
        {
            return PeriodBucketsOf(series) * _options.BucketSpanMs;
        }

        return (flags & FlagWeekly) != 0 ? WeekMs : (flags & FlagDaily) != 0 ? DayMs : 0;
    }

    private int PeriodBucketsOf(int s) =>
        BitConverter.SingleToInt32Bits(_periodicProfiles.Block(_profileHandle[s])[_periodicProfiles.Stride - 2]);

    private Periodic PeriodicShape(int periodBuckets) =>
        new(periodBuckets * _options.BucketSpanMs, _options.BucketSpanMs, MaxPeriodicBins);

    private QuantizedProfile PeriodicProfile(int s, out Periodic shape)
    {
        var block = _periodicProfiles.Block(_profileHandle[s]);
        shape = PeriodicShape(BitConverter.SingleToInt32Bits(block[_periodicProfiles.Stride - 2]));
        return new QuantizedProfile(block, shape.Bins, ScaleBins);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int PhaseScaleBin(in Periodic shape, long t)
    {
        var mid = t + _options.BucketSpanMs / 2;
        var phase = ((mid % shape.PeriodMs) + shape.PeriodMs) % shape.PeriodMs;
        return (int)Math.Min(ScaleBins - 1, (double)phase * ScaleBins / shape.PeriodMs);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long BucketIndex(long t) => (long)Math.Floor(t / (double)_options.BucketSpanMs);

    /// <summary>Called on every learned bucket of a periodic series: recentres the profile once per cycle.</summary>
    private void OnPeriodicBucket(int s, long t)
    {
        var block = _periodicProfiles.Block(_profileHandle[s]);
        var period = BitConverter.SingleToInt32Bits(block[_periodicProfiles.Stride - 2]);
        var cycle = (int)Math.Floor(BucketIndex(t) / (double)period);
        ref var last = ref block[_periodicProfiles.Stride - 1];
        if (BitConverter.SingleToInt32Bits(last) != cycle)
        {
            last = BitConverter.Int32BitsToSingle(cycle);
            Recenter(s);
            _seasonAge[s]++;
        }
    }

    // ---- History block layout (floats): [0] offset, [1] step, [2] count (int), [3] factor (int),
    // [4..5] start bucket (long), [6..8] unused, [9] window length (int), then HistorySlots unsigned 16-bit slots.
    // The slot being filled is summed in the columns _histSum and _histN until bucket _histNext.

    private void StartHistory(int s, long t)
    {
        if (!_options.DetectOtherPeriods)
        {
            return;
        }

        _histNext[s] = 0;
        _histSum[s] = 0;
        _histN[s] = 0;
        var handle = _histories.Allocate();
        var block = _histories.Block(handle);
        SetLong(block, 4, BucketIndex(t));
        SetInt(block, 3, 1);
        // The window is shortened by an even number of slots (0 … 46) that depends on the series, so that series
        // created together do not all run their test in the same bucket: a series tests at buckets C, 2C, 4C, …
        // (C its window length), so the tests of series that started together spread over ever more buckets.
        SetInt(block, 9, HistorySlots - HistoryJitter(s));
        _historyHandle[s] = handle;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HistoryJitter(int s) => (int)((((uint)s * 2654435761u) >> 16) % 24) * 2;

    private void FreeHistory(int s)
    {
        if (_historyHandle[s] >= 0)
        {
            _histories.Free(_historyHandle[s]);
            _historyHandle[s] = -1;
            _histNext[s] = 0;
            _histSum[s] = 0;
            _histN[s] = 0;
        }
    }

    /// <summary>Adds a learned bucket value to the history; may run the period test.</summary>
    /// <remarks>The slot being filled is summed in columns (<c>_histSum</c>, <c>_histN</c>) until the bucket that
    /// ends it (<c>_histNext</c>), so most buckets touch no block once a slot spans several buckets.</remarks>
    private void AddToHistory(int s, long t, double x)
    {
        var b = BucketIndex(t);
        if (b < _histNext[s])
        {
            _histSum[s] += x;
            _histN[s]++;
            return;
        }

        var block = _histories.Block(_historyHandle[s]);
        var f = GetInt(block, 3);
        var count = GetInt(block, 2);
        if (count == 0 && _histN[s] == 0)
        {
            // Nothing kept yet (a new history, or one started when an older snapshot was loaded): start here.
            SetLong(block, 4, b);
        }

        var slot = (b - GetLong(block, 4)) / f;
        if (slot < count)
        {
            return; // out of order (cannot happen for a series' buckets in time order)
        }

        if (slot - count > HistorySlots)
        {
            // A gap longer than the window: start again.
            ResetHistory(block, b);
            _histSum[s] = 0;
            _histN[s] = 0;
            slot = 0;
            count = 0;
        }

        while (slot > count)
        {
            // Close the slot being filled (empty when the gap skipped it) and move on.
            var n = _histN[s];
            WriteSlot(block, count, n > 0 ? _histSum[s] / n : double.NaN);
            _histSum[s] = 0;
            _histN[s] = 0;
            count++;
            SetInt(block, 2, count);
            if (count >= GetInt(block, 9))
            {
                if (TestPeriods(s, block, count))
                {
                    return; // accepted: the history was freed
                }

                Compress(block, count);
                f = GetInt(block, 3);
                count = GetInt(block, 2);
                slot = (b - GetLong(block, 4)) / f;
            }
        }

        _histSum[s] += x;
        _histN[s]++;
        _histNext[s] = GetLong(block, 4) + ((count + 1L) * f);
    }

    private static void ResetHistory(Span<float> block, long b)
    {
        SetInt(block, 2, 0);
        SetLong(block, 4, b);
        Slots(block).Clear();
    }

    /// <summary>Halves the resolution of a full history (or drops its oldest half once the window is long enough).</summary>
    private void Compress(Span<float> block, int count)
    {
        var slots = Slots(block);
        var f = GetInt(block, 3);
        var half = count / 2;
        if ((long)HistorySlots * 2 * f * _options.BucketSpanMs <= HistoryMaxWindowMs)
        {
            for (var i = 0; i < half; i++)
            {
                var a = ReadSlot(block, 2 * i);
                var c = ReadSlot(block, (2 * i) + 1);
                var merged = double.IsNaN(a) ? c : double.IsNaN(c) ? a : 0.5 * (a + c);
                WriteSlot(block, i, merged);
            }

            if (count % 2 == 1)
            {
                // Window lengths are even, so this cannot happen; keep the last slot rather than lose it.
                WriteSlot(block, half, ReadSlot(block, count - 1));
                half++;
            }

            SetInt(block, 3, f * 2);
        }
        else
        {
            var drop = count - half;
            for (var i = 0; i < half; i++)
            {
                slots[i] = slots[i + drop];
            }

            SetLong(block, 4, GetLong(block, 4) + ((long)drop * f));
        }

        slots[half..].Clear();
        SetInt(block, 2, half);
    }

    /// <summary>Runs the period test on a full history; on acceptance installs the component and frees the history.</summary>
    private bool TestPeriods(int s, Span<float> block, int n)
    {
        if (_profileHandle[s] >= 0)
        {
            return false;
        }

        var f = GetInt(block, 3);
        Span<double> v = stackalloc double[HistorySlots];
        v = v[..n];
        if (!ReadHistory(block, v))
        {
            return false;
        }

        // ---- 1. Candidates: local maxima of the autocorrelation of the linearly detrended window.
        var maxLag = n / 4;
        if (maxLag < 2)
        {
            return false;
        }

        Span<double> d = stackalloc double[n];
        Detrend(v, d);
        var energy = 0.0;
        for (var i = 0; i < n; i++)
        {
            energy += d[i] * d[i];
        }

        var spanMs = _options.BucketSpanMs;
        if (energy <= 1e-300 || energy <= n * Math.Pow(1e-9 * Math.Max(Math.Abs(v[0]), 1e-300), 2))
        {
            return false; // constant
        }

        Span<double> acf = stackalloc double[maxLag + 2];
        for (var lag = 1; lag <= maxLag + 1 && lag < n; lag++)
        {
            acf[lag] = Dot(d[lag..], d[..(n - lag)]) / energy;
        }

        Span<int> candidates = stackalloc int[PeriodCandidates + 1];
        var found = 0;
        for (var lag = 2; lag <= maxLag; lag++)
        {
            var r = acf[lag];
            if (r < PeriodMinAutocorrelation || r < acf[lag - 1] || r < acf[lag + 1])
            {
                continue;
            }

            if (found < PeriodCandidates)
            {
                candidates[found++] = lag;
                continue;
            }

            var weakest = 0;
            for (var k = 1; k < found; k++)
            {
                if (acf[candidates[k]] < acf[candidates[weakest]])
                {
                    weakest = k;
                }
            }

            if (r > acf[candidates[weakest]])
            {
                candidates[weakest] = lag;
            }
        }

        // The daily test owns periods that divide a day while it runs; the slot period of a day competes so that
        // a multiple of a day only wins when it explains clearly more.
        var dailyTesting = _testHandle[s] >= 0 && _tests.Block(_testHandle[s])[TestModeIndex] != WeeklyTestMode;
        var slotMs = f * spanMs;
        var daySlots = DayMs % slotMs == 0 ? (int)(DayMs / slotMs) : 0;
        if (dailyTesting && daySlots >= 2 && daySlots <= maxLag)
        {
            var present = false;
            for (var k = 0; k < found; k++)
            {
                present |= candidates[k] == daySlots;
            }

            if (!present)
            {
                candidates[found++] = daySlots;
            }
        }

        if (found == 0)
        {
            return false;
        }

        candidates[..found].Sort();

        // ---- 2. Full test per candidate, shortest first.
        Span<double> both = stackalloc double[maxLag];
        Span<double> prefix = stackalloc double[n + 1];
        prefix[0] = 0;
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + v[i];
        }

        var best = 0;
        var bestScore = double.NegativeInfinity;
        var bestExplained = 0.0;
        for (var k = 0; k < found; k++)
        {
            var p = candidates[k];
            var periodMs = p * slotMs;
            if (dailyTesting && p != daySlots && DayMs % periodMs == 0)
            {
                continue;
            }

            if (!FoldTest(v, prefix, p, both[..p], out var adjusted, out var explained))
            {
                continue;
            }

            if (best == 0 || adjusted > bestScore + PeriodPreferLongerBy)
            {
                best = p;
                bestScore = adjusted;
                bestExplained = explained;
            }
        }

        if (best == 0 || (dailyTesting && (best == daySlots || DayMs % (best * slotMs) == 0)))
        {
            return false;
        }

        var bestBoth = both[..best];
        FoldTest(v, prefix, best, bestBoth, out _, out _);
        AcceptPeriod(s, block, n, best, bestBoth, bestExplained);
        return true;
    }

    /// <summary>
    /// Whether the value history agrees that the series repeats every <paramref name="periodMs"/> (the daily test asks
    /// before it accepts a daily component): the history's fold test, whose F-test with an effective sample size
    /// (shrunk by the residuals' lag-1 correlation) rejects the smooth wanders of random walks and autocorrelated noise that can make the
    /// daily test's even-day and odd-day hour profiles agree by chance.
    /// </summary>
    /// <returns>True when the fold test (without its residual-whiteness cut) passes, or when the history cannot judge the period (none is kept, the
    /// period is not a whole number of its slots, or too many slots are missing); false when it fails or the history
    /// does not hold four periods yet.</returns>
    private bool HistoryConfirmsPeriod(int s, long periodMs)
    {
        if (_historyHandle[s] < 0)
        {
            return true;
        }

        var block = _histories.Block(_historyHandle[s]);
        var slotMs = GetInt(block, 3) * _options.BucketSpanMs;
        if (periodMs % slotMs != 0)
        {
            return true;
        }

        var p = (int)(periodMs / slotMs);
        var n = GetInt(block, 2);
        if (p < 2 || p > HistorySlots / 4)
        {
            return true;
        }

        if (n < 4 * p)
        {
            return false;
        }

        Span<double> v = stackalloc double[n];
        if (!ReadHistory(block, v))
        {
            return true;
        }

        Span<double> prefix = stackalloc double[n + 1];
        prefix[0] = 0;
        for (var i = 0; i < n; i++)
        {
            prefix[i + 1] = prefix[i] + v[i];
        }

        // Other structure may remain (a weekly pattern on top of the daily one), so the residuals need not be white;
        // their lag-1 correlation still shrinks the F-test's effective sample size, which is what rejects wanders. A
        // fold that explains most of the detrended variance is a cycle even when what it leaves is smooth (a weekly
        // pattern leaves day-long ramps that fail the F-test's effective size): random walks and AR(0.9) noise in
        // hourly buckets reached an adjusted share of at most 0.45 (SpuriousDailyTests), daily cycles 0.89–0.98.
        Span<double> both = stackalloc double[p];
        return FoldTest(v, prefix, p, both, out var adjusted, out _, whiteResidual: false) || adjusted >= StrongFoldAdjustedExplained;
    }

    /// <summary>
    /// Classical decomposition test of period <paramref name="p"/> slots: centred moving-average detrending, fold,
    /// even/odd-cycle agreement, adjusted explained variance and residual whiteness. Fills <paramref name="both"/>
    /// with the centred fold (mean per phase of the detrended values).
    /// </summary>
    private static bool FoldTest(
        ReadOnlySpan<double> v, ReadOnlySpan<double> prefix, int p, Span<double> both, out double adjusted, out double explained,
        bool whiteResidual = true)
    {
        adjusted = 0;
        explained = 0;
        var n = v.Length;
        var h = p / 2;
        var from = h;
        var to = n - 1 - h; // inclusive
        var m = to - from + 1;
        if (m < 3 * p)
        {
            return false;
        }

        Span<double> sums = stackalloc double[2 * p];
        Span<double> counts = stackalloc double[2 * p];
        Span<double> detrended = stackalloc double[m];
        sums.Clear();
        counts.Clear();
        double total = 0, totalSq = 0;
        var phase = from % p;
        var parityOffset = ((from / p) & 1) * p;
        for (var i = from; i <= to; i++)
        {
            var dv = v[i] - MovingAverage(v, prefix, p, i);
            detrended[i - from] = dv;
            sums[parityOffset + phase] += dv;
            counts[parityOffset + phase] += 1;
            total += dv;
            totalSq += dv * dv;
            if (++phase == p)
            {
                phase = 0;
                parityOffset = p - parityOffset;
            }
        }

        Span<double> even = stackalloc double[p];
        Span<double> odd = stackalloc double[p];
        for (var j = 0; j < p; j++)
        {
            var c0 = counts[j];
            var c1 = counts[p + j];
            if (c0 < 1 || c1 < 1)
            {
                return false;
            }

            even[j] = sums[j] / c0;
            odd[j] = sums[p + j] / c1;
            both[j] = (sums[j] + sums[p + j]) / (c0 + c1);
        }

        var mean = total / m;
        var totalSs = totalSq - (total * mean);
        if (!(totalSs > 0))
        {
            return false;
        }

        var between = 0.0;
        for (var j = 0; j < p; j++)
        {
            var db = both[j] - mean;
            between += (counts[j] + counts[p + j]) * db * db;
        }

        explained = between / totalSs;
        var within = Math.Max(totalSs - between, 0.0);
        adjusted = 1 - (within / (m - p) / (totalSs / (m - 1)));
        for (var j = 0; j < p; j++)
        {
            both[j] -= mean;
        }

        if (Correlation(even, odd) < PeriodMinCorrelation || adjusted < PeriodMinAdjustedExplained)
        {
            return false;
        }

        // Residual whiteness: what the fold leaves must not be a smooth wander.
        double rr = 0, rr1 = 0, previous = 0;
        phase = from % p;
        for (var k = 0; k < m; k++)
        {
            var r = detrended[k] - mean - both[phase];
            rr += r * r;
            rr1 += r * previous; // previous is 0 for the first
            previous = r;
            if (++phase == p)
            {
                phase = 0;
            }
        }

        var rho = rr > 0 ? rr1 / rr : 0.0;
        if (whiteResidual && rho >= PeriodMaxResidualCorrelation)
        {
            return false;
        }

        // F-test of the fold against no period, with the residuals' lag-1 correlation shrinking the sample to its
        // effective size m(1 − ρ)/(1 + ρ) (ml-cpp likewise tests variance reduction for significance).
        var effective = m * (1 - Math.Max(rho, 0.0)) / (1 + Math.Max(rho, 0.0));
        var dfWithin = effective - p;
        if (dfWithin < 2 || within <= 0)
        {
            return within <= 0;
        }

        var dfBetween = p - 1.0;
        var fStat = between / dfBetween / (within / dfWithin);
        var logP = SpecialFunctions.LogIncompleteBeta(dfWithin / (dfWithin + (dfBetween * fStat)), 0.5 * dfWithin, 0.5 * dfBetween);
        return logP < LogPeriodSignificance;
    }

    /// <summary>Dot product of two spans of equal length (SIMD).</summary>
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var width = System.Numerics.Vector<double>.Count;
        var acc = System.Numerics.Vector<double>.Zero;
        var i = 0;
        for (; i <= a.Length - width; i += width)
        {
            acc += new System.Numerics.Vector<double>(a[i..]) * new System.Numerics.Vector<double>(b[i..]);
        }

        var sum = System.Numerics.Vector.Sum(acc);
        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Centred moving average of length p at i (2×p for even p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double MovingAverage(ReadOnlySpan<double> v, ReadOnlySpan<double> prefix, int p, int i)
    {
        var h = p / 2;
        if ((p & 1) == 1)
        {
            return (prefix[i + h + 1] - prefix[i - h]) / p;
        }

        // Buckets i − h … i + h with half weight at both ends.
        return (prefix[i + h] - prefix[i - h + 1] + (0.5 * (v[i - h] + v[i + h]))) / p;
    }

    /// <summary>Removes the least-squares line from <paramref name="v"/> into <paramref name="d"/>.</summary>
    private static void Detrend(ReadOnlySpan<double> v, Span<double> d)
    {
        var n = v.Length;
        var mx = (n - 1) / 2.0;
        double my = 0;
        for (var i = 0; i < n; i++)
        {
            my += v[i];
        }

        my /= n;
        double sxy = 0, sxx = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = i - mx;
            sxy += dx * (v[i] - my);
            sxx += dx * dx;
        }

        var slope = sxx > 0 ? sxy / sxx : 0;
        for (var i = 0; i < n; i++)
        {
            d[i] = v[i] - my - (slope * (i - mx));
        }
    }

    /// <summary>Installs a component of <paramref name="p"/> slots seeded from the fold, frees the history and the daily test.</summary>
    private void AcceptPeriod(int s, Span<float> history, int n, int p, ReadOnlySpan<double> fold, double explained)
    {
        var f = GetInt(history, 3);
        var start = GetLong(history, 4);
        var periodBuckets = p * f;
        var shape = PeriodicShape(periodBuckets);
        var handle = _periodicProfiles.Allocate();
        var block = _periodicProfiles.Block(handle);
        var profile = new QuantizedProfile(block, shape.Bins, ScaleBins);
        Span<double> sums = stackalloc double[MaxPeriodicBins];
        Span<double> weights = stackalloc double[MaxPeriodicBins];
        sums.Clear();
        weights.Clear();

        // One cycle of buckets (each slot's fold value for each of its f buckets) placed by the profile geometry.
        var spanMs = _options.BucketSpanMs;
        var firstSlot = n - p;
        for (var i = firstSlot; i < n; i++)
        {
            var value = fold[i % p];
            for (var k = 0; k < f; k++)
            {
                var t = (start + ((long)i * f) + k) * spanMs;
                Locate(shape, t, out var b0, out var b1, out var frac);
                sums[b0] += (1 - frac) * value;
                weights[b0] += 1 - frac;
                if (b1 != b0)
                {
                    sums[b1] += frac * value;
                    weights[b1] += frac;
                }
            }
        }

        Span<double> seeded = stackalloc double[shape.Bins];
        for (var b = 0; b < shape.Bins; b++)
        {
            seeded[b] = weights[b] > 0 ? sums[b] / weights[b] : 0.0;
        }

        profile.SetAll(seeded);
        var residualAbs = _absDev[s] * Math.Sqrt(Math.Max(1 - explained, 0.05));
        for (var k = 0; k < ScaleBins; k++)
        {
            profile.Scale(k) = (float)residualAbs;
        }

        var stride = _periodicProfiles.Stride;
        block[stride - 2] = BitConverter.Int32BitsToSingle(periodBuckets);
        block[stride - 1] = BitConverter.Int32BitsToSingle(int.MinValue);

        _absDev[s] = residualAbs;
        _sqDev[s] = residualAbs * residualAbs * ShapeRatio[8];
        _profileHandle[s] = handle;
        _flags[s] |= FlagPeriodic;
        _seasonAge[s] = 1;
        _relax[s] = Math.Max(_relax[s], Math.Min(periodBuckets, (int)Math.Min(int.MaxValue, DayMs / spanMs)));
        _sinceChange[s] = 0;
        _shift[s] = 0;
        _mbNum[s] = 0;
        _mbDen[s] = 0;
        _mbSq[s] = 0;
        if (_options.RoutineOutliers)
        {
            // The time-of-day outliers counted so far were mostly the unmodelled cycle itself (its peaks fall at
            // changing hours): forget them, or the routine model would go on excusing real breaks of the cycle.
            _routine.AsSpan(s * RoutineStride, RoutineStride).Clear();
        }

        if (_testHandle[s] >= 0)
        {
            _tests.Free(_testHandle[s]);
            _testHandle[s] = -1;
        }

        FreeHistory(s);
    }

    /// <summary>
    /// Reads the first <c>v.Length</c> slots, a missing slot taking the value before it (leading gaps the first value).
    /// </summary>
    /// <returns>False when more than a quarter of the slots are missing.</returns>
    private static bool ReadHistory(Span<float> block, Span<double> v)
    {
        var n = v.Length;
        var missing = 0;
        var last = double.NaN;
        for (var i = 0; i < n; i++)
        {
            var x = ReadSlot(block, i);
            if (double.IsNaN(x))
            {
                missing++;
                v[i] = last;
                continue;
            }

            v[i] = x;
            last = x;
        }

        if (missing * 4 > n)
        {
            return false;
        }

        var first = 0;
        while (first < n && double.IsNaN(v[first]))
        {
            first++;
        }

        for (var i = 0; i < first; i++)
        {
            v[i] = v[first];
        }

        return true;
    }

    private static Span<ushort> Slots(Span<float> block) => MemoryMarshal.Cast<float, ushort>(block[HistoryHeaderFloats..]);

    private static double ReadSlot(Span<float> block, int i)
    {
        var q = Slots(block)[i];
        return q == 0 ? double.NaN : block[0] + ((double)block[1] * (q - 1));
    }

    /// <summary>Writes slot <paramref name="i"/> (NaN: no data), re-quantizing the block when the value is out of range.</summary>
    private static void WriteSlot(Span<float> block, int i, double value)
    {
        var slots = Slots(block);
        if (double.IsNaN(value))
        {
            slots[i] = 0;
            return;
        }

        var step = (double)block[1];
        if (step > 0)
        {
            var q = (value - block[0]) / step;
            if (q is >= -0.5 and <= QuantLevels + 0.5)
            {
                slots[i] = (ushort)(1 + Math.Clamp(Math.Round(q), 0, QuantLevels));
                return;
            }
        }

        // Re-quantize every slot in use around the new extent (with a quarter of it as margin on each side).
        var count = Math.Max(GetInt(block, 2), i + 1);
        double lo = value, hi = value;
        for (var k = 0; k < count; k++)
        {
            var x = k == i ? value : ReadSlot(block, k);
            if (!double.IsNaN(x))
            {
                lo = Math.Min(lo, x);
                hi = Math.Max(hi, x);
            }
        }

        var extent = hi - lo;
        var margin = Math.Max(0.25 * extent, 1e-6 * Math.Max(1.0, Math.Max(Math.Abs(lo), Math.Abs(hi))));
        var offset = (float)(lo - margin);
        var newStep = (float)((extent + (2 * margin)) / QuantLevels);
        for (var k = 0; k < count; k++)
        {
            var x = k == i ? value : ReadSlot(block, k);
            slots[k] = double.IsNaN(x) ? (ushort)0 : (ushort)(1 + Math.Clamp(Math.Round((x - offset) / newStep), 0, QuantLevels));
        }

        block[0] = offset;
        block[1] = newStep;
    }

    private static int GetInt(Span<float> block, int index) => BitConverter.SingleToInt32Bits(block[index]);

    private static void SetInt(Span<float> block, int index, int value) => block[index] = BitConverter.Int32BitsToSingle(value);

    private static long GetLong(Span<float> block, int index) => MemoryMarshal.Read<long>(MemoryMarshal.AsBytes(block.Slice(index, 2)));

    private static void SetLong(Span<float> block, int index, long value) =>
        MemoryMarshal.Write(MemoryMarshal.AsBytes(block.Slice(index, 2)), in value);

    private static double GetDouble(Span<float> block, int index) => MemoryMarshal.Read<double>(MemoryMarshal.AsBytes(block.Slice(index, 2)));

    private static void SetDouble(Span<float> block, int index, double value) =>
        MemoryMarshal.Write(MemoryMarshal.AsBytes(block.Slice(index, 2)), in value);
}
