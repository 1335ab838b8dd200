using System.Globalization;

namespace Vigil.Cli;

/// <summary>Parses the time values and durations the <c>detect</c> command accepts.</summary>
internal static class TimeText
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd",
    ];

    /// <summary>
    /// Parses a timestamp: ISO-8601 / <c>yyyy-MM-dd HH:mm:ss</c> (UTC unless an offset is given),
    /// or epoch seconds (≤ 10 integer digits) / epoch milliseconds.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> text, out long epochMs)
    {
        text = text.Trim().Trim('"');
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
        {
            epochMs = text.Length <= 10 ? integer * 1000 : integer;
            return true;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds < 1e11)
        {
            epochMs = (long)Math.Round(seconds * 1000);
            return true;
        }

        if (DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
        {
            epochMs = dto.ToUnixTimeMilliseconds();
            return true;
        }

        epochMs = 0;
        return false;
    }

    /// <summary>Parses an ES time value such as <c>5m</c>, <c>1h</c>, <c>300s</c>, <c>1d</c> or <c>500ms</c>.</summary>
    public static bool TryParseDuration(string text, out long milliseconds)
    {
        milliseconds = 0;
        text = text.Trim();
        long unit;
        string number;
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            unit = 1;
            number = text[..^2];
        }
        else if (text.Length > 1 && text[^1] is 's' or 'm' or 'h' or 'd')
        {
            unit = text[^1] switch { 's' => 1000L, 'm' => 60_000L, 'h' => 3_600_000L, _ => 86_400_000L };
            number = text[..^1];
        }
        else
        {
            return false;
        }

        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0)
        {
            return false;
        }

        milliseconds = count * unit;
        return true;
    }
}
