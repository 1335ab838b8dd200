using System.Text;

namespace Vigil.Engine.Input;

/// <summary>Pattern compilation and parsing for <see cref="TimeFormat"/>.</summary>
public sealed partial class TimeFormat
{
    private static readonly byte[][] ShortMonths = Utf8Names("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec");
    private static readonly byte[][] FullMonths = Utf8Names("January February March April May June July August September October November December");
    private static readonly byte[][] ShortDays = Utf8Names("Mon Tue Wed Thu Fri Sat Sun");
    private static readonly byte[][] FullDays = Utf8Names("Monday Tuesday Wednesday Thursday Friday Saturday Sunday");

    private enum ElementKind : byte
    {
        Literal,
        Number,
        Fraction,
        MonthText,
        DayOfWeekText,
        AmPm,
        Offset,
        ZoneId,
    }

    private enum Field : byte
    {
        None,
        Year,
        ReducedYear,
        Month,
        Day,
        DayOfYear,
        HourOfDay,
        ClockHourOfDay,
        HourOfAmPm,
        ClockHourOfAmPm,
        Minute,
        Second,
    }

    /// <summary>Offset styles: which no-offset text is accepted and whether it is the localized GMT form.</summary>
    private enum OffsetStyle : byte
    {
        /// <summary>X..XXXXX and ZZZZZ: zero offset may be written <c>Z</c>.</summary>
        ZForZero,

        /// <summary>x..xxxxx: zero offset is <c>+00</c>, <c>+0000</c> or <c>+00:00</c>.</summary>
        NumericZero,

        /// <summary>Z, ZZ, ZZZ: zero offset is <c>+0000</c>.</summary>
        Basic,

        /// <summary>ZZZZ: localized <c>GMT</c>, <c>GMT+8</c>, <c>GMT+08:00</c>.</summary>
        Gmt,
    }

    private sealed class Element
    {
        public ElementKind Kind;
        public Field Field;
        public int MinWidth;
        public int MaxWidth;

        // -1: fixed-width follower in an adjacent run; >0: leader of a run (sum of followers' widths); 0: standalone.
        public int SubsequentWidth;
        public byte[] Literal = [];
        public OffsetStyle OffsetStyle;
    }

    private static byte[][] Utf8Names(string spaceSeparated)
    {
        var parts = spaceSeparated.Split(' ');
        var result = new byte[parts.Length][];
        for (var i = 0; i < parts.Length; i++)
        {
            result[i] = Encoding.ASCII.GetBytes(parts[i]);
        }

        return result;
    }

    private static bool TryCompile(string pattern, out Element[] elements)
    {
        elements = [];
        var list = new List<Element>();
        var literal = new StringBuilder();
        var activeValue = -1; // index of the current adjacent-run leader, or -1

        void FlushLiteral()
        {
            if (literal.Length > 0)
            {
                list.Add(new Element { Kind = ElementKind.Literal, Literal = Encoding.UTF8.GetBytes(literal.ToString()) });
                literal.Clear();
                activeValue = -1;
            }
        }

        void AddValue(Element e)
        {
            FlushLiteral();
            var fixedNotNegative = e.MinWidth == e.MaxWidth && e.Field != Field.ReducedYear;
            if (activeValue >= 0)
            {
                var leader = list[activeValue];
                if (fixedNotNegative)
                {
                    leader.SubsequentWidth += e.MaxWidth;
                    e.SubsequentWidth = -1;
                    list.Add(e);
                    return;
                }

                // Java makes the previous run fixed width and starts a new run with this value.
                if (leader.SubsequentWidth == 0)
                {
                    leader.SubsequentWidth = -1;
                }
            }

            activeValue = list.Count;
            list.Add(e);
        }

        void AddOther(Element e)
        {
            FlushLiteral();
            list.Add(e);
            activeValue = -1;
        }

        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z'))
            {
                var start = i;
                while (i < pattern.Length && pattern[i] == c)
                {
                    i++;
                }

                var n = i - start;
                Element? value = null;
                switch (c)
                {
                    case 'y' or 'u':
                        value = n switch
                        {
                            1 => Num(Field.Year, 1, 19),
                            2 => Num(Field.ReducedYear, 2, 2),
                            3 => Num(Field.Year, 3, 19),
                            _ => Num(Field.Year, n, 19),
                        };
                        break;
                    case 'M' or 'L':
                        if (n == 1)
                        {
                            value = Num(Field.Month, 1, 19);
                        }
                        else if (n == 2)
                        {
                            value = Num(Field.Month, 2, 2);
                        }
                        else if (n is 3 or 4)
                        {
                            AddOther(new Element { Kind = ElementKind.MonthText });
                            continue;
                        }
                        else
                        {
                            return false;
                        }

                        break;
                    case 'd' or 'H' or 'k' or 'K' or 'h' or 'm' or 's':
                        if (n > 2)
                        {
                            return false;
                        }

                        var field = c switch
                        {
                            'd' => Field.Day,
                            'H' => Field.HourOfDay,
                            'k' => Field.ClockHourOfDay,
                            'K' => Field.HourOfAmPm,
                            'h' => Field.ClockHourOfAmPm,
                            'm' => Field.Minute,
                            _ => Field.Second,
                        };
                        value = n == 1 ? Num(field, 1, 19) : Num(field, 2, 2);
                        break;
                    case 'D':
                        value = n switch
                        {
                            1 => Num(Field.DayOfYear, 1, 19),
                            2 => Num(Field.DayOfYear, 2, 3),
                            3 => Num(Field.DayOfYear, 3, 3),
                            _ => null,
                        };
                        if (value is null)
                        {
                            return false;
                        }

                        break;
                    case 'S':
                        if (n > 9)
                        {
                            return false;
                        }

                        value = new Element { Kind = ElementKind.Fraction, MinWidth = n, MaxWidth = n };
                        break;
                    case 'a':
                        if (n != 1)
                        {
                            return false;
                        }

                        AddOther(new Element { Kind = ElementKind.AmPm });
                        continue;
                    case 'E':
                        if (n > 4)
                        {
                            return false;
                        }

                        AddOther(new Element { Kind = ElementKind.DayOfWeekText });
                        continue;
                    case 'X' or 'x':
                        if (n > 5)
                        {
                            return false;
                        }

                        AddOther(new Element { Kind = ElementKind.Offset, OffsetStyle = c == 'X' ? OffsetStyle.ZForZero : OffsetStyle.NumericZero });
                        continue;
                    case 'Z':
                        if (n > 5)
                        {
                            return false;
                        }

                        AddOther(new Element
                        {
                            Kind = ElementKind.Offset,
                            OffsetStyle = n switch { 4 => OffsetStyle.Gmt, 5 => OffsetStyle.ZForZero, _ => OffsetStyle.Basic },
                        });
                        continue;
                    case 'V':
                        if (n != 2)
                        {
                            return false;
                        }

                        AddOther(new Element { Kind = ElementKind.ZoneId });
                        continue;
                    case 'z':
                        if (n > 4)
                        {
                            return false;
                        }

                        AddOther(new Element { Kind = ElementKind.ZoneId });
                        continue;
                    default:
                        return false;
                }

                AddValue(value);
                continue;
            }

            if (c == '\'')
            {
                var end = i + 1;
                var sb = new StringBuilder();
                while (true)
                {
                    if (end >= pattern.Length)
                    {
                        return false; // unterminated quote
                    }

                    if (pattern[end] == '\'')
                    {
                        if (end + 1 < pattern.Length && pattern[end + 1] == '\'')
                        {
                            sb.Append('\'');
                            end += 2;
                            continue;
                        }

                        break;
                    }

                    sb.Append(pattern[end]);
                    end++;
                }

                literal.Append(sb.Length == 0 && end == i + 1 ? "'" : sb.ToString());
                i = end + 1;
                continue;
            }

            if (c is '[' or ']' or '{' or '}' or '#')
            {
                return false;
            }

            literal.Append(c);
            i++;
        }

        FlushLiteral();
        elements = [.. list];
        return HasFullTimestamp(elements);

        static Element Num(Field f, int min, int max) => new() { Kind = ElementKind.Number, Field = f, MinWidth = min, MaxWidth = max };
    }

    /// <summary>ES rejects patterns from which no full timestamp can be derived (it formats epoch 0 and parses it back).</summary>
    private static bool HasFullTimestamp(Element[] elements)
    {
        bool month = false, day = false, dayOfYear = false, hour = false, hourOfAmPm = false, ampm = false;
        foreach (var e in elements)
        {
            switch (e.Kind)
            {
                case ElementKind.MonthText:
                    month = true;
                    break;
                case ElementKind.AmPm:
                    ampm = true;
                    break;
                case ElementKind.Number:
                    switch (e.Field)
                    {
                        case Field.Month:
                            month = true;
                            break;
                        case Field.Day:
                            day = true;
                            break;
                        case Field.DayOfYear:
                            dayOfYear = true;
                            break;
                        case Field.HourOfDay or Field.ClockHourOfDay:
                            hour = true;
                            break;
                        case Field.HourOfAmPm or Field.ClockHourOfAmPm:
                            hourOfAmPm = true;
                            break;
                    }

                    break;
            }
        }

        return ((month && day) || dayOfYear) && (hour || (hourOfAmPm && ampm));
    }

    /// <summary>Values gathered while parsing one timestamp (−1 = not seen).</summary>
    private ref struct Parsed
    {
        public long Year;
        public bool YearSet;
        public int Month;
        public int Day;
        public int DayOfYear;
        public int HourOfDay;
        public int ClockHourOfDay;
        public int HourOfAmPm;
        public int ClockHourOfAmPm;
        public int AmPm;
        public int Minute;
        public int Second;
        public long Nanos;
        public int DayOfWeek;
        public int OffsetSeconds;
        public bool OffsetSet;
    }

    private bool TryParsePattern(ReadOnlySpan<byte> text, out long epochMs)
    {
        epochMs = 0;
        var p = new Parsed
        {
            Month = -1,
            Day = -1,
            DayOfYear = -1,
            HourOfDay = -1,
            ClockHourOfDay = -1,
            HourOfAmPm = -1,
            ClockHourOfAmPm = -1,
            AmPm = -1,
            Minute = -1,
            Second = -1,
            Nanos = 0,
            DayOfWeek = -1,
        };
        var pos = 0;
        var elements = _elements;
        for (var ei = 0; ei < elements.Length; ei++)
        {
            var e = elements[ei];
            switch (e.Kind)
            {
                case ElementKind.Literal:
                    if (!text[pos..].StartsWith(e.Literal))
                    {
                        return false;
                    }

                    pos += e.Literal.Length;
                    break;
                case ElementKind.Number:
                    if (!ParseNumber(text, ref pos, e, out var v) || !Assign(ref p, e.Field, v))
                    {
                        return false;
                    }

                    break;
                case ElementKind.Fraction:
                    if (!ParseFraction(text, ref pos, e, out p.Nanos))
                    {
                        return false;
                    }

                    break;
                case ElementKind.MonthText:
                    var m = MatchName(text[pos..], FullMonths, ShortMonths, out var mLen);
                    if (m < 0)
                    {
                        return false;
                    }

                    p.Month = m + 1;
                    pos += mLen;
                    break;
                case ElementKind.DayOfWeekText:
                    var dw = MatchName(text[pos..], FullDays, ShortDays, out var dLen);
                    if (dw < 0)
                    {
                        return false;
                    }

                    p.DayOfWeek = dw + 1;
                    pos += dLen;
                    break;
                case ElementKind.AmPm:
                    var rest = text[pos..];
                    if (rest.StartsWith("AM"u8))
                    {
                        p.AmPm = 0;
                    }
                    else if (rest.StartsWith("PM"u8))
                    {
                        p.AmPm = 1;
                    }
                    else
                    {
                        return false;
                    }

                    pos += 2;
                    break;
                case ElementKind.Offset:
                    if (!ParseOffset(text, ref pos, e.OffsetStyle, out p.OffsetSeconds))
                    {
                        return false;
                    }

                    p.OffsetSet = true;
                    break;
                case ElementKind.ZoneId:
                    if (!ParseZoneId(text, ref pos, out p.OffsetSeconds))
                    {
                        return false;
                    }

                    p.OffsetSet = true;
                    break;
            }
        }

        return pos == text.Length && Resolve(ref p, _defaultYear, out epochMs);
    }

    private static bool Assign(ref Parsed p, Field field, long v)
    {
        switch (field)
        {
            case Field.Year:
                p.Year = v;
                p.YearSet = true;
                return true;
            case Field.ReducedYear:
                // ReducedPrinterParser: exactly two digits are 2000-based; in lenient mode other widths are the year itself.
                p.Year = v;
                p.YearSet = true;
                return true;
            default:
                if (v > int.MaxValue)
                {
                    return false;
                }

                var iv = (int)v;
                switch (field)
                {
                    case Field.Month: p.Month = iv; break;
                    case Field.Day: p.Day = iv; break;
                    case Field.DayOfYear: p.DayOfYear = iv; break;
                    case Field.HourOfDay: p.HourOfDay = iv; break;
                    case Field.ClockHourOfDay: p.ClockHourOfDay = iv; break;
                    case Field.HourOfAmPm: p.HourOfAmPm = iv; break;
                    case Field.ClockHourOfAmPm: p.ClockHourOfAmPm = iv; break;
                    case Field.Minute: p.Minute = iv; break;
                    case Field.Second: p.Second = iv; break;
                }

                return true;
        }
    }

    /// <summary>Java NumberPrinterParser.parse in lenient mode, including adjacent value parsing.</summary>
    private static bool ParseNumber(ReadOnlySpan<byte> text, ref int pos, Element e, out long value)
    {
        value = 0;
        var isFixed = e.Field != Field.ReducedYear
            && (e.SubsequentWidth == -1 || (e.SubsequentWidth > 0 && e.MinWidth == e.MaxWidth));
        var effMin = isFixed ? e.MinWidth : 1;
        var effMax = (isFixed ? e.MaxWidth : 9) + Math.Max(e.SubsequentWidth, 0);
        var available = 0;
        while (pos + available < text.Length && available < effMax && (uint)(text[pos + available] - '0') <= 9)
        {
            available++;
        }

        var take = available;
        if (e.SubsequentWidth > 0)
        {
            take = Math.Max(effMin, available - e.SubsequentWidth);
            if (take > available)
            {
                return false;
            }
        }

        if (take < effMin || take > 18)
        {
            return false;
        }

        long acc = 0;
        for (var k = 0; k < take; k++)
        {
            acc = (acc * 10) + (text[pos + k] - '0');
        }

        if (e.Field == Field.ReducedYear && take == 2)
        {
            acc += 2000;
        }

        pos += take;
        value = acc;
        return true;
    }

    /// <summary>Java FractionPrinterParser: fixed width in an adjacent run, otherwise 0–9 digits when lenient.</summary>
    private static bool ParseFraction(ReadOnlySpan<byte> text, ref int pos, Element e, out long nanos)
    {
        nanos = 0;
        var isFixed = e.SubsequentWidth == -1 || (e.SubsequentWidth > 0 && e.MinWidth == e.MaxWidth);
        var effMin = isFixed ? e.MinWidth : 0;
        var effMax = isFixed ? e.MaxWidth : 9;
        var n = 0;
        long acc = 0;
        while (n < effMax && pos + n < text.Length && (uint)(text[pos + n] - '0') <= 9)
        {
            acc = (acc * 10) + (text[pos + n] - '0');
            n++;
        }

        if (n < effMin)
        {
            return false;
        }

        for (var k = n; k < 9; k++)
        {
            acc *= 10;
        }

        pos += n;
        nanos = acc;
        return true;
    }

    /// <summary>Longest match among full then short English names (lenient text parsing accepts any style).</summary>
    private static int MatchName(ReadOnlySpan<byte> text, byte[][] full, byte[][] shortNames, out int length)
    {
        for (var i = 0; i < full.Length; i++)
        {
            if (text.StartsWith(full[i]))
            {
                length = full[i].Length;
                return i;
            }
        }

        for (var i = 0; i < shortNames.Length; i++)
        {
            if (text.StartsWith(shortNames[i]))
            {
                length = shortNames[i].Length;
                return i;
            }
        }

        length = 0;
        return -1;
    }

    /// <summary>Java OffsetIdPrinterParser (lenient): the style's no-offset text, or ±H[H][[:]MM[[:]SS]].</summary>
    private static bool ParseOffset(ReadOnlySpan<byte> text, ref int pos, OffsetStyle style, out int offsetSeconds)
    {
        offsetSeconds = 0;
        var rest = text[pos..];
        switch (style)
        {
            case OffsetStyle.ZForZero:
                if (rest.StartsWith("Z"u8))
                {
                    pos++;
                    return true;
                }

                break;
            case OffsetStyle.Gmt:
                if (!rest.StartsWith("GMT"u8))
                {
                    return false;
                }

                pos += 3;
                if (pos == text.Length || (text[pos] != (byte)'+' && text[pos] != (byte)'-'))
                {
                    return true;
                }

                break;
        }

        return ParseSignedOffset(text, ref pos, out offsetSeconds);
    }

    private static bool ParseSignedOffset(ReadOnlySpan<byte> text, ref int pos, out int offsetSeconds)
    {
        offsetSeconds = 0;
        if (pos >= text.Length || (text[pos] != (byte)'+' && text[pos] != (byte)'-'))
        {
            return false;
        }

        var negative = text[pos] == (byte)'-';
        var i = pos + 1;
        var hours = ReadDigits(text, ref i, 2, 1);
        if (hours < 0 || hours > 18)
        {
            return false;
        }

        var minutes = 0;
        var seconds = 0;
        var j = i;
        if (j < text.Length && text[j] == (byte)':')
        {
            j++;
        }

        var mm = ReadDigits(text, ref j, 2, 2);
        if (mm >= 0)
        {
            minutes = mm;
            i = j;
            var k = i;
            if (k < text.Length && text[k] == (byte)':')
            {
                k++;
            }

            var ss = ReadDigits(text, ref k, 2, 2);
            if (ss >= 0)
            {
                seconds = ss;
                i = k;
            }
        }

        if (minutes > 59 || seconds > 59)
        {
            return false;
        }

        var total = (hours * 3600) + (minutes * 60) + seconds;
        offsetSeconds = negative ? -total : total;
        pos = i;
        return true;
    }

    /// <summary>Zone ids limited to UTC aliases and fixed offsets (optionally prefixed by UTC/GMT/UT).</summary>
    private static bool ParseZoneId(ReadOnlySpan<byte> text, ref int pos, out int offsetSeconds)
    {
        offsetSeconds = 0;
        var rest = text[pos..];
        ReadOnlySpan<byte> prefix = rest.StartsWith("Etc/UTC"u8) ? "Etc/UTC"u8
            : rest.StartsWith("Etc/GMT"u8) ? "Etc/GMT"u8
            : rest.StartsWith("UTC"u8) ? "UTC"u8
            : rest.StartsWith("GMT"u8) ? "GMT"u8
            : rest.StartsWith("UT"u8) ? "UT"u8
            : rest.StartsWith("Z"u8) ? "Z"u8
            : default;
        if (prefix.Length > 0)
        {
            pos += prefix.Length;
            if (prefix.Length > 1 && pos < text.Length && (text[pos] == (byte)'+' || text[pos] == (byte)'-'))
            {
                return ParseSignedOffset(text, ref pos, out offsetSeconds);
            }

            return true;
        }

        return ParseSignedOffset(text, ref pos, out offsetSeconds);
    }

    private static int ReadDigits(ReadOnlySpan<byte> text, ref int pos, int max, int min)
    {
        var n = 0;
        var acc = 0;
        while (n < max && pos + n < text.Length && (uint)(text[pos + n] - '0') <= 9)
        {
            acc = (acc * 10) + (text[pos + n] - '0');
            n++;
        }

        if (n < min)
        {
            return -1;
        }

        pos += n;
        return acc;
    }

    /// <summary>SMART resolution of the parsed fields into epoch milliseconds.</summary>
    private static bool Resolve(ref Parsed p, int defaultYear, out long epochMs)
    {
        epochMs = 0;
        var year = p.YearSet ? p.Year : defaultYear;
        if (year is < -999_999_999 or > 999_999_999)
        {
            return false;
        }

        long days;
        if (p.Month >= 0 || p.Day >= 0)
        {
            if (p.Month is < 1 or > 12 || p.Day is < 1 or > 31)
            {
                return false;
            }

            var dim = DaysInMonth(year, p.Month);
            var day = Math.Min(p.Day, dim); // SMART: 29..31 beyond month end become the last day
            days = DaysFromCivil(year, p.Month, day);
            if (p.DayOfYear >= 0 && days - DaysFromCivil(year, 1, 1) + 1 != p.DayOfYear)
            {
                return false;
            }
        }
        else if (p.DayOfYear >= 0)
        {
            var leap = IsLeap(year);
            if (p.DayOfYear < 1 || p.DayOfYear > (leap ? 366 : 365))
            {
                return false;
            }

            days = DaysFromCivil(year, 1, 1) + p.DayOfYear - 1;
        }
        else
        {
            return false;
        }

        int hour;
        if (p.HourOfDay >= 0)
        {
            hour = p.HourOfDay;
        }
        else if (p.ClockHourOfDay >= 0)
        {
            if (p.ClockHourOfDay is < 1 or > 24)
            {
                return false;
            }

            hour = p.ClockHourOfDay == 24 ? 0 : p.ClockHourOfDay;
        }
        else if (p.AmPm >= 0 && (p.ClockHourOfAmPm >= 0 || p.HourOfAmPm >= 0))
        {
            int h12;
            if (p.ClockHourOfAmPm >= 0)
            {
                if (p.ClockHourOfAmPm is < 1 or > 12)
                {
                    return false;
                }

                h12 = p.ClockHourOfAmPm == 12 ? 0 : p.ClockHourOfAmPm;
            }
            else
            {
                if (p.HourOfAmPm > 11)
                {
                    return false;
                }

                h12 = p.HourOfAmPm;
            }

            hour = (p.AmPm * 12) + h12;
        }
        else
        {
            return false;
        }

        var minute = p.Minute < 0 ? 0 : p.Minute;
        var second = p.Second < 0 ? 0 : p.Second;
        if (minute > 59 || second > 59)
        {
            return false;
        }

        if (hour == 24)
        {
            // SMART: 24:00 (zero minutes, seconds and nanos) is midnight of the next day.
            if (minute != 0 || second != 0 || p.Nanos != 0)
            {
                return false;
            }

            hour = 0;
            days++;
        }
        else if (hour > 23)
        {
            return false;
        }

        if (p.DayOfWeek > 0)
        {
            // ISO day of week, Monday = 1; 1970-01-01 was a Thursday (4).
            var dow = (int)(((days % 7) + 7 + 3) % 7) + 1;
            if (dow != p.DayOfWeek)
            {
                return false;
            }
        }

        var seconds = (days * 86_400) + (hour * 3600) + (minute * 60) + second - (p.OffsetSet ? p.OffsetSeconds : 0);
        epochMs = (seconds * 1000) + (p.Nanos / 1_000_000);
        return true;
    }

    private static bool IsLeap(long y) => (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    private static int DaysInMonth(long year, int month) => month switch
    {
        2 => IsLeap(year) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    private static long DaysFromCivil(long y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var mp = (m + 9) % 12;
        var doy = ((153 * mp) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146_097) + doe - 719_468;
    }
}
