using System.Globalization;
using System.Text.Json;
using Vigil.Engine.Input;

namespace Vigil.Engine.Evaluation;

/// <summary>Reads NAB data files (<c>timestamp,value</c> CSV) and the combined windows label file.</summary>
public static class NabCorpus
{
    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd HH:mm:ss.ffffff",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.fff",
    ];

    /// <summary>Parses a NAB timestamp (UTC, <c>yyyy-MM-dd HH:mm:ss[.ffffff]</c>) to epoch milliseconds.</summary>
    public static long ParseTime(string text)
    {
        var dt = DateTime.ParseExact(text.Trim(), TimeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return new DateTimeOffset(dt, TimeSpan.Zero).ToUnixTimeMilliseconds();
    }

    /// <summary>Reads a <c>timestamp,value</c> CSV with a header row; rows with an unparsable value are skipped.</summary>
    public static (long[] TimesMs, double[] Values) ReadDataFile(string path)
    {
        var times = new List<long>();
        var values = new List<double>();
        using var reader = new StreamReader(path);
        _ = reader.ReadLine();
        string? line;
        Span<byte> buffer = stackalloc byte[64];
        while ((line = reader.ReadLine()) != null)
        {
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0)
            {
                continue;
            }

            var valueText = line.AsSpan(comma + 1).Trim();
            if (valueText.Length > buffer.Length)
            {
                continue;
            }

            for (var i = 0; i < valueText.Length; i++)
            {
                buffer[i] = (byte)valueText[i];
            }

            if (!NumberText.TryParse(buffer[..valueText.Length], out var value))
            {
                continue;
            }

            times.Add(ParseTime(line[..comma]));
            values.Add(value);
        }

        return (times.ToArray(), values.ToArray());
    }

    /// <summary>Reads <c>combined_windows.json</c>: file name → list of [start, end] timestamps.</summary>
    public static Dictionary<string, List<(long StartMs, long EndMs)>> ReadWindows(string path)
    {
        var result = new Dictionary<string, List<(long, long)>>(StringComparer.Ordinal);
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            var windows = new List<(long, long)>();
            Expect(ref reader, JsonTokenType.StartArray);
            while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                Expect(ref reader, JsonTokenType.String);
                var start = ParseTime(reader.GetString()!);
                Expect(ref reader, JsonTokenType.String);
                var end = ParseTime(reader.GetString()!);
                Expect(ref reader, JsonTokenType.EndArray);
                windows.Add((start, end));
            }

            result[name] = windows;
        }

        return result;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new InvalidDataException($"unexpected JSON token {reader.TokenType} in NAB labels, expected {type}");
        }
    }
}
