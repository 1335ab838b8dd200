namespace Vigil.Engine.Pipeline;

/// <summary>
/// Per-bucket statistics of each (series, influencer field, influencer value) combination:
/// weighted count, sum, min and max, so that the influence of a value on an anomalous series can be
/// computed at bucket close. Open addressing, cleared per bucket, allocation-free once grown.
/// </summary>
internal sealed class InfluencerAccumulator
{
    private int[] _table = new int[64];

    /// <summary>Series of each entry.</summary>
    public int[] Series = new int[32];

    /// <summary>Influencer slot (index in the job's influencer list) of each entry.</summary>
    public int[] Slot = new int[32];

    /// <summary>Interned influencer value of each entry.</summary>
    public int[] Value = new int[32];

    /// <summary>Weighted count.</summary>
    public double[] Count = new double[32];

    /// <summary>Sum of the detector's field values.</summary>
    public double[] Sum = new double[32];

    /// <summary>Minimum of the detector's field values.</summary>
    public double[] Min = new double[32];

    /// <summary>Maximum of the detector's field values.</summary>
    public double[] Max = new double[32];

    /// <summary>Number of entries.</summary>
    public int Length;

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => (long)_table.Length * 4 + (long)Series.Length * 44;

    /// <summary>Removes every entry (keeps capacity).</summary>
    public void Clear()
    {
        if (Length > 0)
        {
            Array.Clear(_table);
            Length = 0;
        }
    }

    /// <summary>Adds one record's contribution.</summary>
    public void Add(int series, int slot, int value, double weight, double x, double sumContribution)
    {
        var e = Find(series, slot, value);
        Count[e] += weight;
        Sum[e] += sumContribution;
        if (x < Min[e])
        {
            Min[e] = x;
        }

        if (x > Max[e])
        {
            Max[e] = x;
        }
    }

    private int Find(int series, int slot, int value)
    {
        var mask = _table.Length - 1;
        var h = HashCode.Combine(series, slot, value) & 0x7FFFFFFF;
        var at = h & mask;
        while (true)
        {
            var e = _table[at];
            if (e == 0)
            {
                break;
            }

            var i = e - 1;
            if (Series[i] == series && Slot[i] == slot && Value[i] == value)
            {
                return i;
            }

            at = (at + 1) & mask;
        }

        if (Length == Series.Length)
        {
            var size = Length * 2;
            Array.Resize(ref Series, size);
            Array.Resize(ref Slot, size);
            Array.Resize(ref Value, size);
            Array.Resize(ref Count, size);
            Array.Resize(ref Sum, size);
            Array.Resize(ref Min, size);
            Array.Resize(ref Max, size);
        }

        var n = Length++;
        Series[n] = series;
        Slot[n] = slot;
        Value[n] = value;
        Count[n] = 0;
        Sum[n] = 0;
        Min[n] = double.PositiveInfinity;
        Max[n] = double.NegativeInfinity;
        if (Length > _table.Length * 0.7)
        {
            _table = new int[_table.Length * 2];
            mask = _table.Length - 1;
            for (var i = 0; i < Length; i++)
            {
                var s = HashCode.Combine(Series[i], Slot[i], Value[i]) & 0x7FFFFFFF & mask;
                while (_table[s] != 0)
                {
                    s = (s + 1) & mask;
                }

                _table[s] = i + 1;
            }
        }
        else
        {
            _table[at] = n + 1;
        }

        return n;
    }
}
