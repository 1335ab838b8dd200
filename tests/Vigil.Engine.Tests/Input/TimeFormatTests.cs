using System.Text;
using Vigil.Engine.Input;

namespace Vigil.Engine.Tests.Input;

public sealed class TimeFormatTests
{
    private static readonly ManualTimeProvider Clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    private static long Ms(int y, int mo, int d, int h, int mi, int s, int ms = 0, int offsetMinutes = 0) =>
        new DateTimeOffset(y, mo, d, h, mi, s, ms, TimeSpan.FromMinutes(offsetMinutes)).ToUnixTimeMilliseconds();

    private static long? Parse(string format, string text) =>
        TimeFormat.Create(format, Clock).TryParse(Encoding.UTF8.GetBytes(text), out var ms) ? ms : null;

    public static TheoryData<string, string, long> Valid => new()
    {
        { "epoch", "1403481600", 1403481600000 },
        { "epoch", "1403481600.999", 1403481600000 }, // fraction dropped: Double.valueOf(..).longValue() × 1000
        { "epoch", " 1.4034816E9 ", 1403481600000 },
        { "epoch", "1403481600d", 1403481600000 },
        { "epoch", "-1", -1000 },
        { "epoch_ms", "1403481600123", 1403481600123 },
        { "epoch_ms", "1403481600123.9", 1403481600123 },
        { "yyyy-MM-dd'T'HH:mm:ssX", "2014-06-23T00:00:00Z", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ssX", "2014-06-23T02:00:00+02", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ssX", "2014-06-23T02:30:00+0230", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2014-06-23T01:02:03.456+01:00", Ms(2014, 6, 23, 0, 2, 3, 456) },
        { "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2014-06-23T01:02:03.456Z", Ms(2014, 6, 23, 1, 2, 3, 456) },
        { "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2014-06-23T01:02:03.4-05:00", Ms(2014, 6, 23, 6, 2, 3, 400) }, // lenient: 1–9 digits
        { "yyyy-MM-dd HH:mm:ss", "2014-06-23 13:14:15", Ms(2014, 6, 23, 13, 14, 15) },
        { "yyyy-MM-dd HH:mm:ss", "2014-6-3 13:14:15", Ms(2014, 6, 3, 13, 14, 15) }, // lenient widths
        { "yyyy-MM-dd HH:mm:ss", "2014-02-30 00:00:00", Ms(2014, 2, 28, 0, 0, 0) }, // SMART clamps day 29–31
        { "yyyy-MM-dd HH:mm:ss", "2014-06-23 24:00:00", Ms(2014, 6, 24, 0, 0, 0) }, // SMART 24:00
        { "yyyy-MM-dd HH:mm:ss.SSSZ", "2014-06-23 13:14:15.123+0100", Ms(2014, 6, 23, 12, 14, 15, 123) },
        { "yyyy-MM-dd HH:mm:ss.SSSZ", "2014-06-23 13:14:15.123-0000", Ms(2014, 6, 23, 13, 14, 15, 123) },
        { "dd/MMM/yyyy:HH:mm:ss Z", "23/Jun/2014:00:00:00 -0700", Ms(2014, 6, 23, 7, 0, 0) },
        { "dd/MMM/yyyy:HH:mm:ss Z", "23/June/2014:00:00:00 +0000", Ms(2014, 6, 23, 0, 0, 0) }, // lenient text
        { "EEE MMM dd HH:mm:ss yyyy", "Mon Jun 23 00:00:00 2014", Ms(2014, 6, 23, 0, 0, 0) },
        { "EEE MMM dd HH:mm:ss yyyy", "Monday Jun 23 00:00:00 2014", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyyMMddHHmmss", "20140623131415", Ms(2014, 6, 23, 13, 14, 15) },
        { "yyyyMMddHHmmssSSS", "20140623131415123", Ms(2014, 6, 23, 13, 14, 15, 123) },
        { "yyyyMMddHHmmss", "120140623131415", Ms(2014, 6, 23, 13, 14, 15) + (25L * 146_097 * 86_400_000) }, // year 12014: the leader takes the extra digit (10000 years = 25 Gregorian cycles)
        { "yyyy-MM-dd'T'HH:mm:ssXX", "2014-06-23T00:00:00-0130", Ms(2014, 6, 23, 1, 30, 0) },
        { "yyyy-MM-dd'T'HH:mm:ssZZ", "2014-06-23T00:00:00+0000", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ssZZZZ", "2014-06-23T00:00:00GMT+02:00", Ms(2014, 6, 22, 22, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ssZZZZ", "2014-06-23T00:00:00GMT", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ss'Z'", "2014-06-23T00:00:00Z", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'", "2014-06-23T00:00:00.123456789Z", Ms(2014, 6, 23, 0, 0, 0, 123) },
        { "yyyy-MM-dd'T'HH:mm:ss.S'Z'", "2014-06-23T00:00:00.5Z", Ms(2014, 6, 23, 0, 0, 0, 500) },
        { "yyyy-MM-dd'T'HH:mm:ss.SSxxx", "2014-06-23T00:00:00.25+00:00", Ms(2014, 6, 23, 0, 0, 0, 250) },
        { "yyyy-MM-dd HH:mm:ss VV", "2014-06-23 00:00:00 UTC", Ms(2014, 6, 23, 0, 0, 0) },
        { "yyyy-MM-dd HH:mm:ss VV", "2014-06-23 00:00:00 +05:30", Ms(2014, 6, 22, 18, 30, 0) },
        { "MMMM d, yyyy h:mm a", "January 5, 2015 1:07 PM", Ms(2015, 1, 5, 13, 7, 0) },
        { "MMMM d, yyyy h:mm a", "January 5, 2015 12:07 AM", Ms(2015, 1, 5, 0, 7, 0) },
        { "yy-MM-dd HH:mm", "14-06-23 10:00", Ms(2014, 6, 23, 10, 0, 0) },
        { "yyyy-DDD HH", "2016-366 05", Ms(2016, 12, 31, 5, 0, 0) },
        { "'It''s' yyyy-MM-dd HH:mm", "It's 2014-06-23 10:00", Ms(2014, 6, 23, 10, 0, 0) },
        { "MM-dd HH:mm:ss", "06-23 10:00:00", Ms(2026, 6, 23, 10, 0, 0) }, // no year: current UTC year
        { "yyyy-MM-dd HH:mm:ss", "1969-12-31 23:59:59", -1000 },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void TryParse_reads_supported_formats(string format, string text, long expected)
    {
        Assert.Equal(expected, Parse(format, text));
    }

    [Theory]
    [InlineData("epoch", "")]
    [InlineData("epoch", "   ")]
    [InlineData("epoch", "abc")]
    [InlineData("epoch", "1403481600x")]
    [InlineData("epoch", "1e")]
    [InlineData("epoch_ms", "true")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-23")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-23 13:14:15 extra")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-13-01 00:00:00")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-32 00:00:00")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-23 25:00:00")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-23 24:00:01")]
    [InlineData("yyyy-MM-dd HH:mm:ss", "2014-06-23 10:60:00")]
    [InlineData("yyyy-MM-dd'T'HH:mm:ssX", "2014-06-23T00:00:00")]
    [InlineData("yyyy-MM-dd'T'HH:mm:ssZ", "2014-06-23T00:00:00Z")] // Z pattern's zero offset is +0000, not 'Z'
    [InlineData("EEE MMM dd HH:mm:ss yyyy", "Tue Jun 23 00:00:00 2014")] // day of week contradicts the date
    [InlineData("dd/MMM/yyyy:HH:mm:ss Z", "23/jun/2014:00:00:00 +0000")] // text is case sensitive
    [InlineData("yyyy-DDD HH", "2015-366 05")]
    public void TryParse_rejects_text_that_does_not_match(string format, string text)
    {
        Assert.Null(Parse(format, text));
    }

    [Theory]
    [InlineData("yyyy-MM-dd'T'HH:mm:ssX", true)]
    [InlineData("yyyy-MM-dd HH:mm:ss.SSSZ", true)]
    [InlineData("EEE MMM dd HH:mm:ss yyyy", true)]
    [InlineData("yyyyMMddHHmmss", true)]
    [InlineData("MM/dd HH", true)]
    [InlineData("yyyy-MM-dd", false)] // no time: ES "Timestamp cannot be derived from pattern"
    [InlineData("HH:mm:ss", false)] // no date
    [InlineData("yyyy-MM-dd hh:mm", false)] // 12-hour clock without am/pm
    [InlineData("yyyy-MM-dd'T'HH:mm:ss'", false)] // unterminated quote
    [InlineData("yyyy-MM-dd[ HH:mm]", false)] // optional sections: not supported
    [InlineData("YYYY-MM-dd HH:mm", false)] // week-based year: not supported
    [InlineData("yyyy-MM-ddd HH", false)]
    [InlineData("", false)]
    [InlineData("epoch", false)]
    public void IsValidPattern_accepts_full_timestamps_only(string pattern, bool expected)
    {
        Assert.Equal(expected, TimeFormat.IsValidPattern(pattern));
    }

    [Fact]
    public void Create_rejects_an_invalid_pattern_with_the_es_wording()
    {
        var ex = Assert.Throws<ArgumentException>(() => TimeFormat.Create("yyyy-MM-dd"));
        Assert.StartsWith("Timestamp cannot be derived from pattern: yyyy-MM-dd", ex.Message);
    }

    [Fact]
    public void TryParse_does_not_allocate()
    {
        var format = TimeFormat.Create("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Clock);
        var epoch = TimeFormat.Create("epoch", Clock);
        var text = "2014-06-23T01:02:03.456+01:00"u8.ToArray();
        var number = "1.4034816E9"u8.ToArray();
        format.TryParse(text, out _);
        epoch.TryParse(number, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        for (var i = 0; i < 1000; i++)
        {
            format.TryParse(text, out var a);
            epoch.TryParse(number, out var b);
            sum += a + b;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sum);
    }
}
