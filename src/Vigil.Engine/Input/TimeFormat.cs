using System.Buffers.Text;
using System.Globalization;

namespace Vigil.Engine.Input;

/// <summary>
/// A job's <c>data_description.time_format</c>, compiled once: <c>epoch</c>, <c>epoch_ms</c>, or a Java
/// <c>DateTimeFormatter</c> pattern. <see cref="TryParse"/> turns a record's time text into epoch milliseconds
/// without allocating.
/// </summary>
/// <remarks>
/// <para>Implementation note (Elasticsearch <c>DoubleDateTransformer</c>): <c>epoch</c> and <c>epoch_ms</c> parse
/// the text as a Java double and truncate it to a long; <c>epoch</c> then multiplies by 1000, so fractional
/// seconds are dropped (<c>1403481600.9</c> → <c>1403481600000</c>) and <c>epoch_ms</c> fractions are dropped too.
/// Surrounding whitespace and a trailing <c>d/D/f/F</c> are accepted as <c>Double.valueOf</c> does;
/// <c>NaN</c>/<c>Infinity</c> and hex floats are rejected (Java would map them to 0 / <c>Long.MAX_VALUE</c>).</para>
/// <para>Implementation note (<c>DateTimeFormatterTimestampConverter.ofPattern</c>): patterns are parsed
/// leniently (<c>parseLenient()</c>) with SMART resolution, a missing year defaults to the current UTC year,
/// and a pattern without a zone/offset is read as UTC. Lenient means: numeric fields that are not part of an
/// adjacent run accept 1–9 digits (<c>MM</c> accepts <c>6</c>), fractions accept 0–9 digits, text fields accept
/// the short or the full English name, and in adjacent runs such as <c>yyyyMMddHHmmss</c> the first field takes
/// what the fixed-width followers leave (Java's adjacent value parsing). SMART resolution clamps a day of month
/// 29–31 to the month's last day, accepts <c>24:00:00</c> as the next midnight, and checks a day-of-week
/// against the date.</para>
/// <para>Supported pattern letters: <c>y u</c> (year; <c>yy</c> = 2000-based two-digit year), <c>M L</c> (month,
/// numeric or <c>MMM</c>/<c>MMMM</c> English names), <c>d</c>, <c>D</c> (day of year), <c>H k K h a</c>, <c>m s</c>,
/// <c>S</c>…<c>SSSSSSSSS</c>, <c>E</c>…<c>EEEE</c> (English day names), offsets <c>X XX XXX XXXX XXXXX x… Z ZZ ZZZ
/// ZZZZ ZZZZZ</c>, zone ids <c>VV</c>/<c>z</c> limited to UTC/GMT/UT/Z and fixed offsets, quoted literals
/// (<c>'T'</c>, <c>''</c>) and any non-letter literal. Not supported (the pattern is reported invalid): optional
/// sections <c>[]</c>, padding <c>p</c>, week-based fields <c>Y w W e c</c>, <c>G Q q n N A O</c>, and named region
/// zones such as <c>Europe/London</c>.</para>
/// </remarks>
public sealed partial class TimeFormat
{
    private readonly FormatKind _kind;
    private readonly Element[] _elements;
    private readonly int _defaultYear;

    private TimeFormat(FormatKind kind, Element[] elements, int defaultYear)
    {
        _kind = kind;
        _elements = elements;
        _defaultYear = defaultYear;
    }

    private enum FormatKind : byte
    {
        Epoch,
        EpochMs,
        Pattern,
    }

    /// <summary>The format text this instance was compiled from.</summary>
    public string Text { get; private init; } = "";

    /// <summary>Compiles a time format; the default year for patterns without one is the current UTC year.</summary>
    /// <exception cref="ArgumentException">The pattern is not valid (see <see cref="IsValidPattern"/>).</exception>
    public static TimeFormat Create(string timeFormat) => Create(timeFormat, TimeProvider.System);

    /// <summary>Compiles a time format, taking the default year from <paramref name="clock"/>.</summary>
    /// <exception cref="ArgumentException">The pattern is not valid (see <see cref="IsValidPattern"/>).</exception>
    public static TimeFormat Create(string timeFormat, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(timeFormat);
        ArgumentNullException.ThrowIfNull(clock);
        switch (timeFormat)
        {
            case "epoch":
                return new TimeFormat(FormatKind.Epoch, [], 0) { Text = timeFormat };
            case "epoch_ms":
                return new TimeFormat(FormatKind.EpochMs, [], 0) { Text = timeFormat };
        }

        if (!TryCompile(timeFormat, out var elements))
        {
            throw new ArgumentException("Timestamp cannot be derived from pattern: " + timeFormat, nameof(timeFormat));
        }

        return new TimeFormat(FormatKind.Pattern, elements, clock.GetUtcNow().UtcDateTime.Year) { Text = timeFormat };
    }

    /// <summary>
    /// True when <paramref name="pattern"/> is a Java DateTimeFormatter pattern this parser supports and that
    /// yields a full timestamp (a date and at least an hour), as ES checks when a job is created.
    /// <c>epoch</c> and <c>epoch_ms</c> are not patterns and return false.
    /// </summary>
    public static bool IsValidPattern(string pattern) =>
        pattern is not null && pattern.Length > 0 && TryCompile(pattern, out _);

    /// <summary>Parses a record's time text (a JSON string's content or a number's literal text).</summary>
    /// <returns>False when the text is empty or cannot be parsed (the record counts as an invalid date).</returns>
    public bool TryParse(ReadOnlySpan<byte> utf8, out long epochMs)
    {
        switch (_kind)
        {
            case FormatKind.EpochMs:
                return TryParseEpoch(utf8, out epochMs);
            case FormatKind.Epoch:
                if (TryParseEpoch(utf8, out var seconds))
                {
                    epochMs = unchecked(seconds * 1000);
                    return true;
                }

                epochMs = 0;
                return false;
            default:
                return TryParsePattern(utf8, out epochMs);
        }
    }

    /// <summary>Java <c>Double.valueOf(text).longValue()</c> for decimal text, without allocating.</summary>
    private static bool TryParseEpoch(ReadOnlySpan<byte> utf8, out long value)
    {
        // Double.valueOf trims characters <= ' ' at both ends.
        var start = 0;
        var end = utf8.Length;
        while (start < end && utf8[start] <= (byte)' ')
        {
            start++;
        }

        while (end > start && utf8[end - 1] <= (byte)' ')
        {
            end--;
        }

        var s = utf8[start..end];
        if (s.Length == 0)
        {
            value = 0;
            return false;
        }

        // Fast path: up to 15 plain digits are exact in a double, so the long is the same.
        if (s.Length <= 15)
        {
            long acc = 0;
            var i = 0;
            for (; i < s.Length; i++)
            {
                var d = (uint)(s[i] - '0');
                if (d > 9)
                {
                    break;
                }

                acc = (acc * 10) + d;
            }

            if (i == s.Length)
            {
                value = acc;
                return true;
            }
        }

        var last = s[^1];
        if (last is (byte)'d' or (byte)'D' or (byte)'f' or (byte)'F')
        {
            s = s[..^1];
        }

        if (!IsJavaDecimal(s))
        {
            value = 0;
            return false;
        }

        if (s[0] == (byte)'+')
        {
            s = s[1..];
        }

        if (!Utf8Parser.TryParse(s, out double d2, out var consumed) || consumed != s.Length)
        {
            Span<char> chars = stackalloc char[Math.Min(s.Length, 512)];
            if (s.Length > chars.Length)
            {
                value = 0;
                return false;
            }

            for (var k = 0; k < s.Length; k++)
            {
                chars[k] = (char)s[k];
            }

            if (!double.TryParse(chars, NumberStyles.Float, CultureInfo.InvariantCulture, out d2))
            {
                value = 0;
                return false;
            }
        }

        // .NET 9+ converts out-of-range doubles with saturation, like Java's (long) cast.
        value = (long)d2;
        return true;
    }

    /// <summary>Sign, digits with at most one '.', at least one digit, optional exponent with digits.</summary>
    private static bool IsJavaDecimal(ReadOnlySpan<byte> s)
    {
        var i = 0;
        if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-'))
        {
            i++;
        }

        var digits = 0;
        var dot = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if ((uint)(c - '0') <= 9)
            {
                digits++;
            }
            else if (c == (byte)'.' && !dot)
            {
                dot = true;
            }
            else
            {
                break;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i == s.Length)
        {
            return true;
        }

        if (s[i] is not ((byte)'e' or (byte)'E'))
        {
            return false;
        }

        i++;
        if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-'))
        {
            i++;
        }

        var expDigits = 0;
        for (; i < s.Length; i++)
        {
            if ((uint)(s[i] - '0') > 9)
            {
                return false;
            }

            expDigits++;
        }

        return expDigits > 0;
    }
}
