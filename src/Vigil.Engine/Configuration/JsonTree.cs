using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Kind of a parsed JSON value, named like the XContent tokens Elasticsearch reports.</summary>
internal enum JKind
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>One property of a JSON object with the byte offset of its name.</summary>
internal sealed record JProperty(string Name, int NameOffset, JNode Value);

/// <summary>
/// A small immutable JSON tree that remembers byte offsets, so that errors can carry Elasticsearch's
/// <c>[line:col]</c> location.
/// </summary>
/// <remarks>
/// Implementation note: Elasticsearch's ObjectParser reports the location of the parser's current token when
/// an error is raised: the field name's opening quote for an unknown field, the value's first byte for a wrong
/// value, and the closing brace of an object when the object is validated after it was read. Parsing into a
/// tree first lets us point at the same bytes without carrying a reader through every validation step.
/// Configuration bodies are small, so the allocation does not matter here.
/// </remarks>
internal sealed class JNode
{
    private JNode(JKind kind, int start)
    {
        Kind = kind;
        Start = start;
    }

    public JKind Kind { get; }

    /// <summary>Byte offset of the token's first byte (the quote of a string, the brace of an object).</summary>
    public int Start { get; }

    /// <summary>Byte offset of the closing bracket of an object or array (same as <see cref="Start"/> otherwise).</summary>
    public int End { get; private set; }

    /// <summary>Unescaped text of a string, the raw text of a number, <c>true</c>/<c>false</c> for booleans.</summary>
    public string Text { get; private set; } = string.Empty;

    public List<JProperty> Properties { get; } = [];

    public List<JNode> Items { get; } = [];

    /// <summary>The XContent token name Elasticsearch prints for this value.</summary>
    public string TokenName => Kind switch
    {
        JKind.Object => "START_OBJECT",
        JKind.Array => "START_ARRAY",
        JKind.String => "VALUE_STRING",
        JKind.Number => "VALUE_NUMBER",
        JKind.True or JKind.False => "VALUE_BOOLEAN",
        _ => "VALUE_NULL",
    };

    public bool IsValue => Kind is JKind.String or JKind.Number or JKind.True or JKind.False;

    /// <summary>Parses a whole document. Malformed JSON becomes a 400 <c>x_content_parse_exception</c>.</summary>
    public static JNode Parse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || IsAllWhitespace(json))
        {
            throw ElasticsearchException.Parse("request body is required");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        try
        {
            if (!reader.Read())
            {
                throw ElasticsearchException.Parse("request body is required");
            }

            var root = ReadValue(ref reader, json);
            if (reader.Read())
            {
                // Jackson stops at the end of the first value; trailing content is ignored by ObjectParser too,
                // but .NET refuses it while reading, so any trailing token lands in the catch below.
            }

            return root;
        }
        catch (InvalidOperationException e)
        {
            // Invalid UTF-8 inside a string surfaces when the reader transcodes it.
            var offset = (int)Math.Min(reader.TokenStartIndex, json.Length);
            var (line, col) = Location(json, offset);
            throw ElasticsearchException.XContentParse(line, col, "Invalid UTF-8 " + e.Message.TrimEnd('.'));
        }
        catch (JsonException e)
        {
            var offset = (int)Math.Min(reader.BytesConsumed, json.Length);
            var (line, col) = Location(json, offset);
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }

            throw ElasticsearchException.XContentParse(line, col, message.TrimEnd());
        }
    }

    private static bool IsAllWhitespace(ReadOnlySpan<byte> json)
    {
        foreach (var b in json)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static JNode ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                {
                    var node = new JNode(JKind.Object, start);
                    HashSet<string>? seen = null;
                    while (reader.Read())
                    {
                        if (reader.TokenType == JsonTokenType.EndObject)
                        {
                            node.End = (int)reader.TokenStartIndex;
                            return node;
                        }

                        var nameOffset = (int)reader.TokenStartIndex;
                        var name = reader.GetString()!;
                        seen ??= new HashSet<string>(StringComparer.Ordinal);
                        if (!seen.Add(name))
                        {
                            // Implementation note: Elasticsearch enables Jackson's strict duplicate detection.
                            var (l, c) = Location(json, nameOffset);
                            throw ElasticsearchException.XContentParse(l, c, $"Duplicate field '{name}'");
                        }

                        reader.Read();
                        node.Properties.Add(new JProperty(name, nameOffset, ReadValue(ref reader, json)));
                    }

                    throw new JsonException("Unexpected end of input");
                }

            case JsonTokenType.StartArray:
                {
                    var node = new JNode(JKind.Array, start);
                    while (reader.Read())
                    {
                        if (reader.TokenType == JsonTokenType.EndArray)
                        {
                            node.End = (int)reader.TokenStartIndex;
                            return node;
                        }

                        node.Items.Add(ReadValue(ref reader, json));
                    }

                    throw new JsonException("Unexpected end of input");
                }

            case JsonTokenType.String:
                return new JNode(JKind.String, start) { End = start, Text = reader.GetString()! };
            case JsonTokenType.Number:
                return new JNode(JKind.Number, start)
                {
                    End = start,
                    Text = Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
                };
            case JsonTokenType.True:
                return new JNode(JKind.True, start) { End = start, Text = "true" };
            case JsonTokenType.False:
                return new JNode(JKind.False, start) { End = start, Text = "false" };
            default:
                return new JNode(JKind.Null, start) { End = start, Text = "null" };
        }
    }

    /// <summary>
    /// Elasticsearch's <c>[line:col]</c> for a byte offset: 1-based line, 1-based column counted in bytes from
    /// the start of the line (Jackson's UTF-8 parser counts bytes).
    /// </summary>
    /// <remarks>
    /// Verified against DatafeedConfigTests in elastic/elasticsearch: a field name indented by four spaces on
    /// line 6 is reported as <c>[6:5]</c> (the opening quote), and a failing nested object value as the column of
    /// its opening brace (<c>[6:25]</c> for <c>    "query": {"match" : {</c>).
    /// </remarks>
    public static (long Line, long Column) Location(ReadOnlySpan<byte> json, int offset)
    {
        long line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < json.Length; i++)
        {
            var b = json[i];
            if (b == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
            else if (b == (byte)'\r' && (i + 1 >= json.Length || json[i + 1] != (byte)'\n'))
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    /// <summary>Writes this value as compact JSON.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        switch (Kind)
        {
            case JKind.Object:
                writer.WriteStartObject();
                foreach (var p in Properties)
                {
                    writer.WritePropertyName(p.Name);
                    p.Value.WriteTo(writer);
                }

                writer.WriteEndObject();
                break;
            case JKind.Array:
                writer.WriteStartArray();
                foreach (var item in Items)
                {
                    item.WriteTo(writer);
                }

                writer.WriteEndArray();
                break;
            case JKind.String:
                writer.WriteStringValue(Text);
                break;
            case JKind.Number:
                writer.WriteRawValue(JavaNumberText(Text), skipInputValidation: true);
                break;
            case JKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>Compact JSON text of this value.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// How Jackson re-writes a number Elasticsearch parsed into a map: integers as integers (<c>-0</c> is <c>0</c>,
    /// values beyond a long keep their digits as a BigInteger), anything with a fraction or exponent as a Java
    /// double (<c>1.50</c> becomes <c>1.5</c>, <c>1e2</c> becomes <c>100.0</c>).
    /// </summary>
    internal static string JavaNumberText(string text)
    {
        if (text.AsSpan().IndexOfAny('.', 'e', 'E') >= 0)
        {
            var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            return double.IsFinite(d) ? ConfigParsers.JavaDouble(d) : text;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l.ToString(CultureInfo.InvariantCulture);
        }

        return System.Numerics.BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
            .ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Parses a number's text as a double (invariant culture).</summary>
    public double ToDouble() => double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
