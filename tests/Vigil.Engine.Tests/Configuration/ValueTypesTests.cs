using Vigil.Engine.Configuration;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Tests.Configuration;

public sealed class ValueTypesTests
{
    [Theory]
    [InlineData("5m", 300_000L, "5m")]
    [InlineData("3600s", 3_600_000L, "3600s")]
    [InlineData("1h", 3_600_000L, "1h")]
    [InlineData("2d", 172_800_000L, "2d")]
    [InlineData("500ms", 500L, "500ms")]
    [InlineData("90micros", 0L, "90micros")]
    [InlineData("1nanos", 0L, "1nanos")]
    [InlineData(" 15m", 900_000L, "15m")]
    [InlineData("2H", 7_200_000L, "2h")]
    [InlineData("0", 0L, "0ms")]
    [InlineData("000", 0L, "0ms")]
    public void TimeValue_parses_and_echoes(string text, long ms, string rep)
    {
        var t = TimeValue.Parse(text, "x");
        Assert.Equal(ms, t.TotalMilliseconds);
        Assert.Equal(rep, t.ToStringRep());
    }

    [Theory]
    [InlineData("8w", "failed to parse setting [x] with value [8w] as a time value: unit is missing or unrecognized")]
    [InlineData("1.5h", "failed to parse [1.5h], fractional time values are not supported")]
    [InlineData("abcs", "failed to parse [abcs]")]
    [InlineData("-5m", "failed to parse setting [x] with value [-5m] as a time value: negative durations are not supported")]
    [InlineData("15M", "failed to parse setting [x] with value [15M] as a time value: unit is missing or unrecognized")]
    [InlineData("15m ", "failed to parse setting [x] with value [15m ] as a time value: unit is missing or unrecognized")]
    public void TimeValue_errors_are_worded_like_ES(string text, string reason)
    {
        var e = Assert.Throws<ElasticsearchException>(() => TimeValue.Parse(text, "x"));
        Assert.Equal("illegal_argument_exception", e.Type);
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void TimeValue_unparsable_number_has_number_format_cause()
    {
        var e = Assert.Throws<ElasticsearchException>(() => TimeValue.Parse("1.5h", "x"));
        Assert.Equal("number_format_exception", e.Cause!.Type);
        Assert.Equal("For input string: \"1.5\"", e.Cause.Reason);
        Assert.Equal(-1, TimeValue.Parse("-1", "x").Duration);
        Assert.Equal("-1", TimeValue.Parse("-1", "x").ToStringRep());
    }

    [Theory]
    [InlineData("1500ms", "1.5s")]
    [InlineData("1590ms", "1.5s")]
    [InlineData("90s", "1.5m")]
    [InlineData("3600s", "1h")]
    [InlineData("0s", "0s")]
    public void TimeValue_ToString_is_human_readable(string text, string expected)
    {
        Assert.Equal(expected, TimeValue.Parse(text, "x").ToString());
    }

    [Theory]
    [InlineData("10mb", 10L * 1024 * 1024)]
    [InlineData("1gb", 1L << 30)]
    [InlineData("3000g", 3000L << 30)]
    [InlineData("512KB", 512L * 1024)]
    [InlineData("100b", 100L)]
    [InlineData("1.5mb", 1572864L)]
    [InlineData("1.1kb", 1127L)]
    [InlineData("0", 0L)]
    [InlineData("-1", -1L)]
    [InlineData("10m", 10L * 1024 * 1024)]
    public void ByteSizeValue_parses(string text, long bytes)
    {
        Assert.Equal(bytes, ByteSizeValue.Parse(text, "x").Bytes);
    }

    [Fact]
    public void ByteSizeValue_errors_and_printing()
    {
        var e = Assert.Throws<ElasticsearchException>(() => ByteSizeValue.Parse("12", "model_memory_limit"));
        Assert.Equal("failed to parse setting [model_memory_limit] with value [12] as a size in bytes: unit is missing or unrecognized", e.Reason);
        Assert.Equal("failed to parse setting [x] with more than two decimals in value [1.125mb]",
            Assert.Throws<ElasticsearchException>(() => ByteSizeValue.Parse("1.125mb", "x")).Reason);
        Assert.Equal("failed to parse setting [x] with value [-5mb] as a size in bytes",
            Assert.Throws<ElasticsearchException>(() => ByteSizeValue.Parse("-5mb", "x")).Reason);
        Assert.Equal("failed to parse setting [x] with value [abcmb]",
            Assert.Throws<ElasticsearchException>(() => ByteSizeValue.Parse("abcmb", "x")).Reason);
        Assert.Equal("10gb", ByteSizeValue.FromMb(10240).ToString());
        Assert.Equal("9.9gb", new ByteSizeValue((10L << 30) - 1).ToString());
        Assert.Equal("9.5gb", ByteSizeValue.FromMb(9728).ToString());
        Assert.Equal("2mb", ByteSizeValue.FromMb(2).ToString());
        Assert.Equal(3072000, ByteSizeValue.Parse("3000g", "x").Mb);
    }

    [Theory]
    [InlineData(10.0, "10.0")]
    [InlineData(33.3, "33.3")]
    [InlineData(42, "42.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.0001, "1.0E-4")]
    [InlineData(3.3e-5, "3.3E-5")]
    [InlineData(1e7, "1.0E7")]
    [InlineData(1234567.5, "1234567.5")]
    [InlineData(12345678.9, "1.23456789E7")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.0, "0.0")]
    [InlineData(100, "100.0")]
    public void Doubles_are_written_like_Java(double value, string expected)
    {
        Assert.Equal(expected, ConfigParsers.JavaDouble(value));
    }
}
