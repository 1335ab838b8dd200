using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// A seasonal profile block of a <see cref="FloatSlabPool"/> viewed as 16-bit quantized bin offsets plus
/// float noise-scale bins, so a 288-bin daily profile takes 680 bytes rather than 1,248.
/// </summary>
/// <remarks>
/// <para>Layout in floats: [0] offset, [1] step, [2, 2 + scale bins) the hour-of-day noise scales, then the
/// bins as unsigned 16-bit steps: value = offset + step · q. The range covers the profile with a quarter of
/// its extent as margin on each side, so a bin holds its value to within 1/87,000 of the range; a value
/// outside the range re-quantizes the block around the new extent (rare: only while a profile grows).</para>
/// <para>Adding a constant to every bin (recentering) moves the offset only, exactly.</para>
/// </remarks>
internal readonly ref struct QuantizedProfile
{
    /// <summary>Floats before the scale bins (offset and step).</summary>
    public const int HeaderFloats = 2;

    private const double Levels = ushort.MaxValue;

    private readonly Span<float> _block;
    private readonly Span<ushort> _bins;
    private readonly int _scaleBins;

    /// <summary>Views <paramref name="block"/> as a profile of <paramref name="bins"/> bins and <paramref name="scaleBins"/> scale bins.</summary>
    public QuantizedProfile(Span<float> block, int bins, int scaleBins)
    {
        _block = block;
        _scaleBins = scaleBins;
        _bins = MemoryMarshal.Cast<float, ushort>(block[(HeaderFloats + scaleBins)..])[..bins];
    }

    /// <summary>Floats of a block holding <paramref name="bins"/> bins and <paramref name="scaleBins"/> scale bins.</summary>
    public static int Stride(int bins, int scaleBins) => HeaderFloats + scaleBins + ((bins + 1) / 2);

    /// <summary>Number of bins.</summary>
    public int Bins => _bins.Length;

    /// <summary>The value of bin <paramref name="b"/>.</summary>
    public double this[int b]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _block[0] + ((double)_block[1] * _bins[b]);
    }

    /// <summary>The noise-scale bin <paramref name="hour"/>.</summary>
    public ref float Scale(int hour) => ref _block[HeaderFloats + hour];

    /// <summary>Sets bin <paramref name="b"/> to <paramref name="value"/> (to the nearest step).</summary>
    public void Set(int b, double value)
    {
        var q = (value - _block[0]) / _block[1];
        if (q is >= -0.5 and <= Levels + 0.5)
        {
            _bins[b] = (ushort)Math.Clamp(Math.Round(q), 0, Levels);
            return;
        }

        Span<double> values = stackalloc double[_bins.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = this[i];
        }

        values[b] = value;
        SetAll(values);
    }

    /// <summary>Adds <paramref name="delta"/> to every bin (exact: moves the offset).</summary>
    public void Shift(double delta) => _block[0] = (float)(_block[0] + delta);

    /// <summary>Sets every bin, choosing the range from the values.</summary>
    public void SetAll(ReadOnlySpan<double> values)
    {
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (var v in values)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }

        var extent = hi - lo;
        var floor = 1e-6 * Math.Max(1.0, Math.Max(Math.Abs(lo), Math.Abs(hi)));
        var margin = Math.Max(0.25 * extent, floor);
        var offset = (float)(lo - margin);
        var step = (float)((extent + (2 * margin)) / Levels);
        _block[0] = offset;
        _block[1] = step;
        for (var i = 0; i < values.Length; i++)
        {
            _bins[i] = (ushort)Math.Clamp(Math.Round((values[i] - offset) / step), 0, Levels);
        }
    }

    /// <summary>Number of scale bins.</summary>
    public int ScaleBins => _scaleBins;
}
