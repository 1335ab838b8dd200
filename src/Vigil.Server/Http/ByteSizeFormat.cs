using System.Globalization;

namespace Vigil.Server.Http;

/// <summary>Formats byte counts the way Elasticsearch prints them with <c>?human</c>: "64gb", "19.1gb", "0b".</summary>
/// <remarks>Implementation note: Elasticsearch picks the largest unit the value reaches and keeps one
/// decimal, truncated (not rounded), dropping a trailing ".0".</remarks>
public static class ByteSizeFormat
{
    private static readonly string[] Units = ["b", "kb", "mb", "gb", "tb", "pb"];

    /// <summary>Formats a byte count.</summary>
    public static string Format(long bytes)
    {
        var unit = 0;
        var scale = 1L;
        while (unit < Units.Length - 1 && Math.Abs(bytes) >= scale * 1024)
        {
            scale *= 1024;
            unit++;
        }

        if (unit == 0)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + "b";
        }

        var tenths = (long)Math.Truncate(bytes / (double)scale * 10);
        var text = tenths % 10 == 0
            ? (tenths / 10).ToString(CultureInfo.InvariantCulture)
            : (tenths / 10.0).ToString("0.0", CultureInfo.InvariantCulture);
        return text + Units[unit];
    }
}
