namespace Vigil.Engine.Pipeline;

/// <summary>
/// Per-bucket accumulators of one detector for one open bucket, as structure-of-arrays columns
/// indexed by series id. Entries are reset lazily: an entry whose stamp is not the generation's
/// bucket is stale and re-initialized on first touch, so closing a bucket costs nothing per series.
/// </summary>
/// <remarks>
/// A detector keeps <c>latency / span + 2</c> generations so that records of a bucket still open
/// for latency and of the next bucket can interleave.
/// </remarks>
internal sealed class BucketGeneration
{
    /// <summary>Bucket index (start / span) this generation accumulates, or <see cref="long.MinValue"/> when unused.</summary>
    public long BucketIndex = long.MinValue;

    /// <summary>Bucket index each entry was initialized for.</summary>
    public long[] Stamp = [];

    /// <summary>Weighted record count.</summary>
    public double[] Count = [];

    /// <summary>Sum of values (pre-aggregated sums for <c>sum</c> with a summary count; seconds for time functions).</summary>
    public double[] Sum = [];

    /// <summary>Second sum (longitudes for lat_long).</summary>
    public double[] Sum2 = [];

    /// <summary>Minimum value.</summary>
    public double[] Min = [];

    /// <summary>Maximum value.</summary>
    public double[] Max = [];

    /// <summary>Weighted running mean (Welford).</summary>
    public double[] Mean = [];

    /// <summary>Weighted sum of squared deviations (Welford).</summary>
    public double[] M2 = [];

    /// <summary>Distinct values seen (distinct_count, info_content).</summary>
    public double[] Distinct = [];

    /// <summary>Series touched in this bucket, in first-touch order.</summary>
    public int[] Touched = new int[16];

    /// <summary>Number of valid entries in <see cref="Touched"/>.</summary>
    public int TouchedCount;

    /// <summary>(series, value) pairs kept for the median.</summary>
    public int[] ValueSeries = [];

    /// <summary>Values kept for the median.</summary>
    public double[] Values = [];

    /// <summary>Number of kept values.</summary>
    public int ValueCount;

    /// <summary>(series, value hash) set for distinct counting, or null when the function needs none.</summary>
    public PairSet? DistinctSet;

    /// <summary>Distinct strings per series for info_content: arena and (series, offset, length) entries.</summary>
    public byte[] Strings = [];

    /// <summary>Bytes used in <see cref="Strings"/>.</summary>
    public int StringsUsed;

    /// <summary>Series of each distinct string.</summary>
    public int[] StringSeries = [];

    /// <summary>Offset of each distinct string.</summary>
    public int[] StringOffset = [];

    /// <summary>Length of each distinct string.</summary>
    public int[] StringLength = [];

    /// <summary>Number of distinct strings.</summary>
    public int StringCount;

    /// <summary>Per (series, influencer, value) accumulators, or null when the detector has no influencer to accumulate.</summary>
    public InfluencerAccumulator? Influencers;

    /// <summary>Grows the per-series columns to hold <paramref name="series"/> series.</summary>
    public void EnsureSeries(int series)
    {
        if (series <= Stamp.Length)
        {
            return;
        }

        var old = Stamp.Length;
        var size = Math.Max(series, Math.Max(16, old * 2));
        Array.Resize(ref Stamp, size);
        Array.Fill(Stamp, long.MinValue, old, size - old);
        Array.Resize(ref Count, size);
        Array.Resize(ref Sum, size);
        Array.Resize(ref Sum2, size);
        Array.Resize(ref Min, size);
        Array.Resize(ref Max, size);
        Array.Resize(ref Mean, size);
        Array.Resize(ref M2, size);
        Array.Resize(ref Distinct, size);
    }

    /// <summary>Starts accumulating bucket <paramref name="bucketIndex"/> (previous content becomes stale).</summary>
    public void Begin(long bucketIndex)
    {
        BucketIndex = bucketIndex;
        TouchedCount = 0;
        ValueCount = 0;
        StringsUsed = 0;
        StringCount = 0;
        DistinctSet?.Clear();
        Influencers?.Clear();
    }

    /// <summary>Marks the generation unused after its bucket closed.</summary>
    public void End()
    {
        Begin(long.MinValue);
    }

    /// <summary>Initializes the entry of a series on its first record of the bucket.</summary>
    public void Touch(int s)
    {
        if (Stamp[s] == BucketIndex)
        {
            return;
        }

        Stamp[s] = BucketIndex;
        Count[s] = 0;
        Sum[s] = 0;
        Sum2[s] = 0;
        Min[s] = double.PositiveInfinity;
        Max[s] = double.NegativeInfinity;
        Mean[s] = 0;
        M2[s] = 0;
        Distinct[s] = 0;
        if (TouchedCount == Touched.Length)
        {
            Array.Resize(ref Touched, Touched.Length * 2);
        }

        Touched[TouchedCount++] = s;
    }

    /// <summary>Whether a series has records in this bucket.</summary>
    public bool HasData(int s) => s < Stamp.Length && Stamp[s] == BucketIndex && BucketIndex != long.MinValue;

    /// <summary>Adds a value for the median.</summary>
    public void AddValue(int s, double value)
    {
        if (ValueCount == Values.Length)
        {
            var size = Math.Max(64, Values.Length * 2);
            Array.Resize(ref Values, size);
            Array.Resize(ref ValueSeries, size);
        }

        ValueSeries[ValueCount] = s;
        Values[ValueCount++] = value;
    }

    /// <summary>Keeps a distinct string of a series for info_content.</summary>
    public void AddString(int s, ReadOnlySpan<byte> value)
    {
        if (StringCount == StringSeries.Length)
        {
            var size = Math.Max(64, StringSeries.Length * 2);
            Array.Resize(ref StringSeries, size);
            Array.Resize(ref StringOffset, size);
            Array.Resize(ref StringLength, size);
        }

        if (StringsUsed + value.Length > Strings.Length)
        {
            Array.Resize(ref Strings, Math.Max(Strings.Length * 2, Math.Max(1024, StringsUsed + value.Length)));
        }

        value.CopyTo(Strings.AsSpan(StringsUsed));
        StringSeries[StringCount] = s;
        StringOffset[StringCount] = StringsUsed;
        StringLength[StringCount++] = value.Length;
        StringsUsed += value.Length;
    }

    /// <summary>Bytes held by the generation's arrays.</summary>
    public long MemoryBytes =>
        (long)Stamp.Length * 72 + (long)Touched.Length * 4 + (long)Values.Length * 12 + Strings.Length
        + (long)StringSeries.Length * 12 + (DistinctSet?.MemoryBytes ?? 0) + (Influencers?.MemoryBytes ?? 0);
}

/// <summary>An open-addressing set of (int, long) pairs, cleared per bucket, allocation-free once grown.</summary>
internal sealed class PairSet
{
    private int[] _table = new int[64];
    private int[] _first = new int[32];
    private long[] _second = new long[32];
    private int _count;

    /// <summary>Number of pairs.</summary>
    public int Count => _count;

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => (long)_table.Length * 4 + (long)_first.Length * 12;

    /// <summary>Removes every pair (keeps capacity).</summary>
    public void Clear()
    {
        if (_count > 0)
        {
            Array.Clear(_table);
            _count = 0;
        }
    }

    /// <summary>Adds a pair; returns false if it was already present.</summary>
    public bool Add(int first, long second)
    {
        var mask = _table.Length - 1;
        var slot = Hash(first, second) & mask;
        while (true)
        {
            var e = _table[slot];
            if (e == 0)
            {
                break;
            }

            if (_first[e - 1] == first && _second[e - 1] == second)
            {
                return false;
            }

            slot = (slot + 1) & mask;
        }

        if (_count == _first.Length)
        {
            Array.Resize(ref _first, _count * 2);
            Array.Resize(ref _second, _count * 2);
        }

        _first[_count] = first;
        _second[_count] = second;
        _count++;
        if (_count > _table.Length * 0.7)
        {
            _table = new int[_table.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                Place(i);
            }
        }
        else
        {
            _table[slot] = _count;
        }

        return true;
    }

    private static int Hash(int first, long second) => HashCode.Combine(first, second) & 0x7FFFFFFF;

    private void Place(int i)
    {
        var mask = _table.Length - 1;
        var slot = Hash(_first[i], _second[i]) & mask;
        while (_table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _table[slot] = i + 1;
    }
}
