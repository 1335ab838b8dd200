using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Server.Http;

/// <summary>Parses Elasticsearch's date parameters (start, end, timestamp, reset_*, advance_time, skip_time).</summary>
/// <remarks>Implementation note: all digits means epoch seconds when at most 10 characters long and epoch
/// milliseconds otherwise; anything else is read as ISO-8601 (<c>strict_date_optional_time</c>); flush and
/// reset also take <c>now</c>.</remarks>
public static class DateParam
{
    /// <summary>The forms of <c>strict_date_optional_time</c> accepted.</summary>
    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HHK",
        "yyyy-MM-dd", "yyyy-MM", "yyyy",
    ];

    /// <summary>Parses a date parameter to epoch milliseconds.</summary>
    /// <exception cref="ElasticsearchException">400 <c>parse_exception</c> as Elasticsearch words it.</exception>
    public static long Parse(string name, string value, TimeProvider time, bool allowNow = false)
    {
        if (TryParse(value, time, allowNow, out var ms))
        {
            return ms;
        }

        throw ElasticsearchException.Parse(
            $"Query param [{name}] with value [{value}] cannot be parsed as a date or converted to a number (epoch).");
    }

    private static bool TryParse(string value, TimeProvider time, bool allowNow, out long ms)
    {
        ms = 0;
        if (value.Length == 0)
        {
            return false;
        }

        if (allowNow && value == "now")
        {
            ms = time.GetUtcNow().ToUnixTimeMilliseconds();
            return true;
        }

        var digits = true;
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                digits = false;
                break;
            }
        }

        if (digits)
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            ms = value.Length <= 10 ? n * 1000 : n;
            return true;
        }

        if (DateTimeOffset.TryParseExact(value, IsoFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            ms = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        return false;
    }
}
