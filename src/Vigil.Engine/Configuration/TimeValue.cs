using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Units of an Elasticsearch duration, smallest first.</summary>
public enum TimeUnit
{
    /// <summary><c>nanos</c></summary>
    Nanoseconds,

    /// <summary><c>micros</c></summary>
    Microseconds,

    /// <summary><c>ms</c></summary>
    Milliseconds,

    /// <summary><c>s</c></summary>
    Seconds,

    /// <summary><c>m</c></summary>
    Minutes,

    /// <summary><c>h</c></summary>
    Hours,

    /// <summary><c>d</c></summary>
    Days,
}

/// <summary>
/// An Elasticsearch duration (<c>TimeValue</c>): an integer amount of one unit, echoed in the unit it was given in
/// (<c>3600s</c> stays <c>3600s</c>).
/// </summary>
/// <remarks>
/// Implementation note: mirrors <c>TimeValue.parseTimeValue</c>: case-insensitive suffixes <c>nanos</c>,
/// <c>micros</c>, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>; the bare values <c>0</c> and <c>-1</c>;
/// no fractions; no other negative values; minutes only with a lower-case <c>m</c>. Failures are 400
/// <c>illegal_argument_exception</c> with ES's wording.
/// </remarks>
public readonly partial struct TimeValue : IEquatable<TimeValue>
{
    /// <summary>Creates a duration of <paramref name="duration"/> units.</summary>
    public TimeValue(long duration, TimeUnit unit)
    {
        Duration = duration;
        Unit = unit;
    }

    /// <summary>The amount in <see cref="Unit"/>.</summary>
    public long Duration { get; }

    /// <summary>The unit the value was given in.</summary>
    public TimeUnit Unit { get; }

    /// <summary>The duration in nanoseconds (saturating).</summary>
    public long TotalNanoseconds => Scale(Duration, NanosPerUnit(Unit));

    /// <summary>The duration in whole milliseconds (truncated toward zero).</summary>
    public long TotalMilliseconds => Unit switch
    {
        TimeUnit.Nanoseconds => Duration / 1_000_000,
        TimeUnit.Microseconds => Duration / 1_000,
        _ => Scale(Duration, NanosPerUnit(Unit) / 1_000_000),
    };

    /// <summary>The duration in whole seconds (truncated toward zero).</summary>
    public long TotalSeconds => TotalMilliseconds / 1000;

    /// <summary>Creates a value in seconds.</summary>
    public static TimeValue FromSeconds(long seconds) => new(seconds, TimeUnit.Seconds);

    /// <summary>Creates a value in minutes.</summary>
    public static TimeValue FromMinutes(long minutes) => new(minutes, TimeUnit.Minutes);

    /// <summary>Creates a value in hours.</summary>
    public static TimeValue FromHours(long hours) => new(hours, TimeUnit.Hours);

    /// <summary>Creates a value in days.</summary>
    public static TimeValue FromDays(long days) => new(days, TimeUnit.Days);

    /// <summary>Parses an Elasticsearch duration; <paramref name="settingName"/> appears in error messages.</summary>
    /// <exception cref="ElasticsearchException">400 <c>illegal_argument_exception</c> worded as Elasticsearch does.</exception>
    public static TimeValue Parse(string value, string settingName)
    {
        ArgumentNullException.ThrowIfNull(value);
        var normalized = value.ToLowerInvariant().Trim();
        TimeUnit unit;
        int suffix;
        if (normalized.EndsWith("nanos", StringComparison.Ordinal))
        {
            (unit, suffix) = (TimeUnit.Nanoseconds, 5);
        }
        else if (normalized.EndsWith("micros", StringComparison.Ordinal))
        {
            (unit, suffix) = (TimeUnit.Microseconds, 6);
        }
        else if (normalized.EndsWith("ms", StringComparison.Ordinal))
        {
            (unit, suffix) = (TimeUnit.Milliseconds, 2);
        }
        else if (normalized.EndsWith('s'))
        {
            (unit, suffix) = (TimeUnit.Seconds, 1);
        }
        else if (value.EndsWith('m'))
        {
            // Like ES, minutes are matched case-sensitively on the raw text ('M' would mean months).
            (unit, suffix) = (TimeUnit.Minutes, 1);
        }
        else if (normalized.EndsWith('h'))
        {
            (unit, suffix) = (TimeUnit.Hours, 1);
        }
        else if (normalized.EndsWith('d'))
        {
            (unit, suffix) = (TimeUnit.Days, 1);
        }
        else if (MinusOne().IsMatch(normalized))
        {
            return new TimeValue(-1, TimeUnit.Milliseconds);
        }
        else if (Zero().IsMatch(normalized))
        {
            return new TimeValue(0, TimeUnit.Milliseconds);
        }
        else
        {
            throw ElasticsearchException.IllegalArgument(
                $"failed to parse setting [{settingName}] with value [{value}] as a time value: unit is missing or unrecognized");
        }

        var number = normalized[..^suffix].Trim();
        if (!long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
        {
            var cause = new ElasticsearchException("number_format_exception", $"For input string: \"{number}\"", 400);
            if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                throw ElasticsearchException.IllegalArgument($"failed to parse [{value}], fractional time values are not supported", cause);
            }

            throw ElasticsearchException.IllegalArgument($"failed to parse [{value}]", cause);
        }

        if (amount < -1)
        {
            throw ElasticsearchException.IllegalArgument(
                $"failed to parse setting [{settingName}] with value [{value}] as a time value: negative durations are not supported");
        }

        return new TimeValue(amount, unit);
    }

    /// <summary>The text Elasticsearch echoes (<c>getStringRep</c>): amount and suffix, e.g. <c>15m</c>.</summary>
    public string ToStringRep()
    {
        if (Duration < 0)
        {
            return Duration.ToString(CultureInfo.InvariantCulture);
        }

        return Duration.ToString(CultureInfo.InvariantCulture) + Suffix(Unit);
    }

    /// <summary>
    /// Elasticsearch's <c>TimeValue.toString()</c>: the largest unit with a value of at least one, with at most one
    /// decimal (<c>1500ms</c> prints <c>1.5s</c>).
    /// </summary>
    public override string ToString()
    {
        var nanos = TotalNanoseconds;
        if (Duration == -1)
        {
            return "-1";
        }

        if (nanos == 0)
        {
            return "0s";
        }

        var units = new[] { TimeUnit.Days, TimeUnit.Hours, TimeUnit.Minutes, TimeUnit.Seconds, TimeUnit.Milliseconds, TimeUnit.Microseconds };
        foreach (var u in units)
        {
            var per = NanosPerUnit(u);
            if (Math.Abs(nanos) >= per)
            {
                var value = (double)nanos / per;
                return FormatOneDecimal(value) + Suffix(u);
            }
        }

        return nanos.ToString(CultureInfo.InvariantCulture) + "nanos";
    }

    /// <inheritdoc/>
    public bool Equals(TimeValue other) => Duration == other.Duration && Unit == other.Unit;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TimeValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Duration, Unit);

    /// <summary>Same amount and unit.</summary>
    public static bool operator ==(TimeValue left, TimeValue right) => left.Equals(right);

    /// <summary>Different amount or unit.</summary>
    public static bool operator !=(TimeValue left, TimeValue right) => !left.Equals(right);

    /// <summary>
    /// ES <c>Strings.format1Decimals</c>: Java's <c>String.valueOf(double)</c> cut after the first decimal digit
    /// (truncating, not rounding), dropping a zero decimal: <c>1.0</c> gives <c>1</c>, <c>1.55</c> gives <c>1.5</c>.
    /// </summary>
    internal static string FormatOneDecimal(double value)
    {
        var p = ConfigParsers.JavaDouble(value);
        var ix = p.IndexOf('.', StringComparison.Ordinal) + 1;
        var ex = p.IndexOf('E', StringComparison.Ordinal);
        var fraction = p[ix];
        var exponent = ex >= 0 ? p[ex..] : string.Empty;
        return fraction == '0' ? p[..(ix - 1)] + exponent : p[..ix] + fraction + exponent;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^-0*1$")]
    private static partial System.Text.RegularExpressions.Regex MinusOne();

    [System.Text.RegularExpressions.GeneratedRegex("^0+$")]
    private static partial System.Text.RegularExpressions.Regex Zero();

    private static string Suffix(TimeUnit unit) => unit switch
    {
        TimeUnit.Nanoseconds => "nanos",
        TimeUnit.Microseconds => "micros",
        TimeUnit.Milliseconds => "ms",
        TimeUnit.Seconds => "s",
        TimeUnit.Minutes => "m",
        TimeUnit.Hours => "h",
        _ => "d",
    };

    private static long NanosPerUnit(TimeUnit unit) => unit switch
    {
        TimeUnit.Nanoseconds => 1L,
        TimeUnit.Microseconds => 1_000L,
        TimeUnit.Milliseconds => 1_000_000L,
        TimeUnit.Seconds => 1_000_000_000L,
        TimeUnit.Minutes => 60_000_000_000L,
        TimeUnit.Hours => 3_600_000_000_000L,
        _ => 86_400_000_000_000L,
    };

    private static long Scale(long value, long factor)
    {
        if (value == 0 || factor == 1)
        {
            return value * factor;
        }

        if (value > long.MaxValue / factor)
        {
            return long.MaxValue;
        }

        if (value < long.MinValue / factor)
        {
            return long.MinValue;
        }

        return value * factor;
    }
}
