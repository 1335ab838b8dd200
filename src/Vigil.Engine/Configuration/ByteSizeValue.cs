using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// An Elasticsearch byte size (<c>ByteSizeValue</c>): <c>10mb</c>, <c>1gb</c>, <c>3000g</c>, <c>512kb</c>, <c>100b</c>.
/// </summary>
/// <remarks>
/// Implementation note: mirrors <c>ByteSizeValue.parseBytesSizeValue</c>: case-insensitive suffixes
/// <c>b</c>, <c>k/kb</c>, <c>m/mb</c>, <c>g/gb</c>, <c>t/tb</c>, <c>p/pb</c> with powers of 1024, bare <c>0</c> and
/// <c>-1</c>; fractional amounts are accepted and truncated to whole bytes. <see cref="ToString"/> is ES's
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
        var normalized = value.ToLowerInvariant().Trim();
        long multiplier;
        int suffix;
        if (normalized.EndsWith("kb", StringComparison.Ordinal)) { multiplier = 1L << 10; suffix = 2; }
        else if (normalized.EndsWith('k')) { multiplier = 1L << 10; suffix = 1; }
        else if (normalized.EndsWith("mb", StringComparison.Ordinal)) { multiplier = 1L << 20; suffix = 2; }
        else if (normalized.EndsWith('m')) { multiplier = 1L << 20; suffix = 1; }
        else if (normalized.EndsWith("gb", StringComparison.Ordinal)) { multiplier = 1L << 30; suffix = 2; }
        else if (normalized.EndsWith('g')) { multiplier = 1L << 30; suffix = 1; }
        else if (normalized.EndsWith("tb", StringComparison.Ordinal)) { multiplier = 1L << 40; suffix = 2; }
        else if (normalized.EndsWith('t')) { multiplier = 1L << 40; suffix = 1; }
        else if (normalized.EndsWith("pb", StringComparison.Ordinal)) { multiplier = 1L << 50; suffix = 2; }
        else if (normalized.EndsWith('p')) { multiplier = 1L << 50; suffix = 1; }
        else if (normalized.EndsWith('b')) { multiplier = 1; suffix = 1; }
        else if (normalized is "-1") { return new ByteSizeValue(-1); }
        else if (normalized is "0") { return new ByteSizeValue(0); }
        else
        {
            throw ElasticsearchException.Parse(
                $"failed to parse setting [{settingName}] with value [{value}] as a size in bytes: unit is missing or unrecognized");
        }

        var number = normalized[..^suffix].Trim();
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            if (whole < 0 && !(whole == -1 && multiplier == 1))
            {
                throw ElasticsearchException.Parse(
                    $"failed to parse setting [{settingName}] with value [{value}] as a size in bytes");
            }

            return new ByteSizeValue(whole > long.MaxValue / multiplier ? long.MaxValue : whole * multiplier);
        }

        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction >= 0)
        {
            var bytes = fraction * multiplier;
            return new ByteSizeValue(bytes >= long.MaxValue ? long.MaxValue : (long)bytes);
        }

        throw ElasticsearchException.Parse($"failed to parse [{value}]");
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
