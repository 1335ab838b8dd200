using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// An Elasticsearch byte size (<c>ByteSizeValue</c>): <c>10mb</c>, <c>1gb</c>, <c>3000g</c>, <c>512kb</c>, <c>100b</c>.
/// </summary>
/// <remarks>
/// Implementation note: mirrors <c>ByteSizeValue.parseBytesSizeValue</c>: case-insensitive suffixes
/// <c>b</c>, <c>k/kb</c>, <c>m/mb</c>, <c>g/gb</c>, <c>t/tb</c>, <c>p/pb</c> with powers of 1024, bare <c>0</c> and
/// <c>-1</c>; decimal amounts with up to two places are rounded up to whole bytes (ES 8). <see cref="ToString"/> is ES's
/// human-readable form with one decimal (<c>10240mb</c> prints <c>10gb</c>).
/// </remarks>
public readonly struct ByteSizeValue : IEquatable<ByteSizeValue>
{
    /// <summary>Bytes in one mebibyte.</summary>
    public const long BytesPerMb = 1024L * 1024L;

    /// <summary>Creates a size of <paramref name="bytes"/> bytes.</summary>
    public ByteSizeValue(long bytes) => Bytes = bytes;

    /// <summary>The size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Whole mebibytes, rounded down (ES <c>getMb()</c>).</summary>
    public long Mb => Bytes / BytesPerMb;

    /// <summary>A size in mebibytes (saturating).</summary>
    public static ByteSizeValue FromMb(long mb) => new(mb > long.MaxValue / BytesPerMb ? long.MaxValue : mb * BytesPerMb);

    /// <summary>Parses an ES byte-size string; <paramref name="settingName"/> appears in error messages.</summary>
    /// <exception cref="ElasticsearchException">400 <c>parse_exception</c> worded as Elasticsearch does.</exception>
    public static ByteSizeValue Parse(string value, string settingName)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value)
        {
            case "0" or "0b" or "0B":
                return new ByteSizeValue(0);
            case "1b" or "1B":
                return new ByteSizeValue(1);
            case "-1" or "-1b" or "-1B":
                return new ByteSizeValue(-1);
        }

        var lower = value.ToLowerInvariant().Trim();
        (string Suffix, long Unit)[] units =
        [
            ("k", 1L << 10), ("kb", 1L << 10), ("m", 1L << 20), ("mb", 1L << 20), ("g", 1L << 30), ("gb", 1L << 30),
            ("t", 1L << 40), ("tb", 1L << 40), ("p", 1L << 50), ("pb", 1L << 50),
        ];
        foreach (var (suffix, unit) in units)
        {
            if (lower.EndsWith(suffix, StringComparison.Ordinal))
            {
                return ParseWithUnit(value, lower[..^suffix.Length].Trim(), unit, settingName);
            }
        }

        if (lower.EndsWith('b'))
        {
            var digits = lower[..^1].Trim();
            if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bytes))
            {
                throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value [{value}]");
            }

            if (bytes < -1)
            {
                throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value [{value}] as a size in bytes");
            }

            return new ByteSizeValue(bytes);
        }

        throw ElasticsearchException.Parse(
            $"failed to parse setting [{settingName}] with value [{value}] as a size in bytes: unit is missing or unrecognized");
    }

    /// <summary>
    /// Implementation note: ES 8 accepts whole amounts and decimals with at most two places, rounding the bytes up;
    /// negative amounts and overflow are refused.
    /// </summary>
    private static ByteSizeValue ParseWithUnit(string value, string number, long unit, string settingName)
    {
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            if (whole < 0 || whole > long.MaxValue / unit)
            {
                throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value [{value}] as a size in bytes");
            }

            return new ByteSizeValue(whole * unit);
        }

        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var d))
        {
            throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value [{value}]");
        }

        if (d < 0)
        {
            throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value [{value}]");
        }

        if (d.Scale > 2)
        {
            throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with more than two decimals in value [{value}]");
        }

        var bytes = decimal.Ceiling(d * unit);
        if (bytes > long.MaxValue)
        {
            throw ElasticsearchException.Parse($"failed to parse setting [{settingName}] with value beyond {long.MaxValue}: [{value}]");
        }

        return new ByteSizeValue((long)bytes);
    }

    /// <summary>ES's human-readable form: the largest unit of at least one, one decimal at most (<c>9gb</c>, <c>1.5mb</c>).</summary>
    public override string ToString()
    {
        var bytes = Bytes;
        (long Size, string Suffix)[] units = [(1L << 50, "pb"), (1L << 40, "tb"), (1L << 30, "gb"), (1L << 20, "mb"), (1L << 10, "kb")];
        foreach (var (size, suffix) in units)
        {
            if (bytes >= size)
            {
                return TimeValue.FormatOneDecimal((double)bytes / size) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture) + "b";
    }

    /// <inheritdoc/>
    public bool Equals(ByteSizeValue other) => Bytes == other.Bytes;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ByteSizeValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bytes.GetHashCode();

    /// <summary>Same number of bytes.</summary>
    public static bool operator ==(ByteSizeValue left, ByteSizeValue right) => left.Equals(right);

    /// <summary>Different number of bytes.</summary>
    public static bool operator !=(ByteSizeValue left, ByteSizeValue right) => !left.Equals(right);
}
