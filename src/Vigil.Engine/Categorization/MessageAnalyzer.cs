using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vigil.Engine.Categorization;

/// <summary>
/// The categorization analyzer of a job: char filters (<c>first_non_blank_line</c>, <c>pattern_replace</c>), the
/// <c>ml_standard</c> tokenizer and token filters (<c>stop</c>, <c>lowercase</c>, <c>limit</c>), applied to one
/// message at a time into reused buffers.
/// </summary>
/// <remarks>
/// Implementation note (mirrors Elasticsearch's default categorization analyzer, <c>CategorizationAnalyzerConfig</c>):
/// a job without an analyzer gets <c>first_non_blank_line</c>, its <c>categorization_filters</c> as
/// <c>pattern_replace</c> char filters (replacement ""), <c>ml_standard</c> and a case-sensitive <c>stop</c> filter of
/// day and month names and abbreviations, GMT and UTC. A custom analyzer object is read for the same parts; other
/// char filters, tokenizers and token filters are not implemented and are ignored (<c>ml_classic</c> is tokenized as
/// <c>ml_standard</c>). A global analyzer name (e.g. <c>"standard"</c>) is analysed with the default analyzer.
/// Per message the analyzer allocates nothing unless a <c>pattern_replace</c> replacement uses group references.
/// </remarks>
internal sealed class MessageAnalyzer
{
    /// <summary>Elasticsearch's default stop words of the categorization analyzer.</summary>
    internal static readonly string[] DefaultStopWords =
    [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        "GMT", "UTC",
    ];

    private readonly bool _firstNonBlankLine;
    private readonly Regex[] _patterns;
    private readonly string[] _replacements;
    private readonly HashSet<string> _stopWords;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _stopLookup;
    private readonly bool _lowercase;
    private readonly int _maxTokens;
    private char[] _a = new char[256];
    private char[] _b = new char[256];
    private int[] _tokens = new int[64];

    private MessageAnalyzer(bool firstNonBlankLine, List<(string Pattern, string Replacement)> replacements, IEnumerable<string> stopWords,
        bool lowercase, int maxTokens)
    {
        _firstNonBlankLine = firstNonBlankLine;
        _patterns = new Regex[replacements.Count];
        _replacements = new string[replacements.Count];
        for (var i = 0; i < replacements.Count; i++)
        {
            _patterns[i] = new Regex(replacements[i].Pattern, RegexOptions.CultureInvariant);
            _replacements[i] = replacements[i].Replacement;
        }

        _stopWords = new HashSet<string>(stopWords, StringComparer.Ordinal);
        _stopLookup = _stopWords.GetAlternateLookup<ReadOnlySpan<char>>();
        _lowercase = lowercase;
        _maxTokens = maxTokens;
    }

    /// <summary>The analyzer of a job: its custom analyzer JSON when it has one, else the default with its filters.</summary>
    /// <param name="customJson">The <c>categorization_analyzer</c> object as JSON, or null.</param>
    /// <param name="filters"><c>categorization_filters</c>, or null.</param>
    public static MessageAnalyzer Create(string? customJson, IReadOnlyList<string>? filters)
    {
        if (customJson is null)
        {
            var replacements = new List<(string, string)>();
            foreach (var f in filters ?? [])
            {
                replacements.Add((f, ""));
            }

            return new MessageAnalyzer(true, replacements, DefaultStopWords, false, int.MaxValue);
        }

        using var doc = JsonDocument.Parse(customJson);
        var root = doc.RootElement;
        var firstLine = false;
        var patterns = new List<(string, string)>();
        var stop = new List<string>();
        var lowercase = false;
        var maxTokens = int.MaxValue;
        if (root.TryGetProperty("char_filter", out var charFilters) && charFilters.ValueKind == JsonValueKind.Array)
        {
            foreach (var cf in charFilters.EnumerateArray())
            {
                if (cf.ValueKind == JsonValueKind.String && cf.GetString() == "first_non_blank_line")
                {
                    firstLine = true;
                }
                else if (cf.ValueKind == JsonValueKind.Object && Text(cf, "type") == "pattern_replace" && Text(cf, "pattern") is { } pattern)
                {
                    patterns.Add((pattern, Text(cf, "replacement") ?? ""));
                }
            }
        }

        if (root.TryGetProperty("filter", out var tokenFilters) && tokenFilters.ValueKind == JsonValueKind.Array)
        {
            foreach (var tf in tokenFilters.EnumerateArray())
            {
                var type = tf.ValueKind == JsonValueKind.String ? tf.GetString() : Text(tf, "type");
                switch (type)
                {
                    case "lowercase":
                        lowercase = true;
                        break;
                    case "limit":
                        maxTokens = tf.ValueKind == JsonValueKind.Object && tf.TryGetProperty("max_token_count", out var m) && m.TryGetInt32(out var n)
                            ? n : 1;
                        break;
                    case "stop" when tf.ValueKind == JsonValueKind.Object && tf.TryGetProperty("stopwords", out var words)
                        && words.ValueKind == JsonValueKind.Array:
                        foreach (var w in words.EnumerateArray())
                        {
                            if (w.GetString() is { } s)
                            {
                                stop.Add(s);
                            }
                        }

                        break;
                }
            }
        }

        return new MessageAnalyzer(firstLine, patterns, stop, lowercase, maxTokens);

        static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>The analysed text of the last <see cref="Analyze"/> call; tokens point into it.</summary>
    public ReadOnlySpan<char> Text => _a;

    /// <summary>Start of token <paramref name="i"/> of the last <see cref="Analyze"/> call in <see cref="Text"/>.</summary>
    public int TokenStart(int i) => _tokens[2 * i];

    /// <summary>Length of token <paramref name="i"/> of the last <see cref="Analyze"/> call.</summary>
    public int TokenLength(int i) => _tokens[(2 * i) + 1];

    /// <summary>Token <paramref name="i"/> of the last <see cref="Analyze"/> call.</summary>
    public ReadOnlySpan<char> Token(int i) => _a.AsSpan(_tokens[2 * i], _tokens[(2 * i) + 1]);

    /// <summary>Analyzes a message; the tokens are then read with <see cref="Token"/>.</summary>
    /// <returns>The number of tokens.</returns>
    public int Analyze(ReadOnlySpan<char> message)
    {
        var text = message;
        if (_firstNonBlankLine)
        {
            text = FirstNonBlankLine(text);
        }

        var length = Copy(text, ref _a);
        for (var p = 0; p < _patterns.Length; p++)
        {
            length = Replace(_patterns[p], _replacements[p], length);
        }

        return Tokenize(length);
    }

    /// <summary>
    /// The first line with a character other than whitespace (Elasticsearch's <c>first_non_blank_line</c>), or the whole
    /// text when every line is blank.
    /// </summary>
    internal static ReadOnlySpan<char> FirstNonBlankLine(ReadOnlySpan<char> text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text[start..].IndexOfAny('\n', '\r');
            var line = end < 0 ? text[start..] : text.Slice(start, end);
            if (!line.IsWhiteSpace())
            {
                return line;
            }

            if (end < 0)
            {
                break;
            }

            start += end + 1;
        }

        return text;
    }

    private static int Copy(ReadOnlySpan<char> text, ref char[] buffer)
    {
        if (buffer.Length < text.Length)
        {
            buffer = new char[Math.Max(text.Length, buffer.Length * 2)];
        }

        text.CopyTo(buffer);
        return text.Length;
    }

    private int Replace(Regex pattern, string replacement, int length)
    {
        var source = _a.AsSpan(0, length);
        if (replacement.Contains('$'))
        {
            // Group references: the allocating path (rare: categorization_filters always replace with "").
            return Copy(pattern.Replace(source.ToString(), replacement), ref _a);
        }

        var written = 0;
        var last = 0;
        foreach (var m in pattern.EnumerateMatches(source))
        {
            Append(source[last..m.Index], ref written);
            Append(replacement, ref written);
            last = m.Index + m.Length;
        }

        if (last == 0 && written == 0)
        {
            return length;
        }

        Append(_a.AsSpan(last, length - last), ref written);
        (_a, _b) = (_b, _a);
        return written;
    }

    private void Append(ReadOnlySpan<char> part, ref int written)
    {
        if (_b.Length < written + part.Length)
        {
            Array.Resize(ref _b, Math.Max(written + part.Length, _b.Length * 2));
        }

        part.CopyTo(_b.AsSpan(written));
        written += part.Length;
    }

    private int Tokenize(int length)
    {
        var text = _a.AsSpan(0, length);
        var count = 0;
        var pos = 0;
        while (count < _maxTokens && MlStandardTokenizer.Next(text, ref pos, out var start, out var tokenLength))
        {
            var token = text.Slice(start, tokenLength);
            if (_lowercase)
            {
                for (var i = 0; i < token.Length; i++)
                {
                    _a[start + i] = char.ToLowerInvariant(token[i]);
                }
            }

            if (_stopWords.Count > 0 && _stopLookup.Contains(token))
            {
                continue;
            }

            if (_tokens.Length < (2 * count) + 2)
            {
                Array.Resize(ref _tokens, _tokens.Length * 2);
            }

            _tokens[2 * count] = start;
            _tokens[(2 * count) + 1] = tokenLength;
            count++;
        }

        return count;
    }
}
