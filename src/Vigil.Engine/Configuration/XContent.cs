using System.Globalization;
using System.Text;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Which JSON tokens a declared field accepts (ES <c>ObjectParser.ValueType</c>).</summary>
internal enum VType
{
    /// <summary>VALUE_STRING</summary>
    String,

    /// <summary>VALUE_STRING, VALUE_NULL</summary>
    StringOrNull,

    /// <summary>VALUE_NUMBER, VALUE_STRING (longs, ints, doubles)</summary>
    Number,

    /// <summary>VALUE_BOOLEAN, VALUE_STRING</summary>
    Boolean,

    /// <summary>START_ARRAY, VALUE_STRING</summary>
    StringArray,

    /// <summary>START_OBJECT</summary>
    Object,

    /// <summary>START_OBJECT, START_ARRAY</summary>
    ObjectArray,

    /// <summary>any scalar or null</summary>
    Value,

    /// <summary>START_OBJECT, VALUE_STRING</summary>
    ObjectOrString,
}

/// <summary>A declared field of a strict object parser.</summary>
internal sealed record XField(string Name, VType Type, Action<JNode> Handle);

/// <summary>
/// The parts of Elasticsearch's strict <c>ObjectParser</c> that clients can observe: unknown-field messages with
/// "did you mean" suggestions, "doesn't support values of type" errors, "failed to parse field" wrapping, and
/// the <c>[line:col]</c> of the token the parser was on when something failed.
/// </summary>
internal sealed class XContent
{
    private readonly byte[] _json;

    public XContent(ReadOnlySpan<byte> json, bool ignoreUnknownFields = false)
    {
        _json = json.ToArray();
        IgnoreUnknownFields = ignoreUnknownFields;
    }

    /// <summary>ES's lenient parsers (used for stored configs) skip unknown fields instead of failing.</summary>
    public bool IgnoreUnknownFields { get; }

    /// <summary>Byte offset of the token the simulated parser is on (moves as the tree is walked).</summary>
    public int Current { get; set; }

    /// <summary>A 400 <c>x_content_parse_exception</c> located at <paramref name="offset"/>.</summary>
    public ElasticsearchException At(int offset, string reason, ElasticsearchException? cause = null)
    {
        var (line, col) = JNode.Location(_json, offset);
        return ElasticsearchException.XContentParse(line, col, reason, cause);
    }

    /// <summary>
    /// Walks <paramref name="node"/> as the object <paramref name="objectName"/>, dispatching each property to
    /// its declared field. The caller validates afterwards with <see cref="Current"/> on the closing brace.
    /// </summary>
    public void ParseObject(JNode node, string objectName, IReadOnlyList<XField> fields)
    {
        Current = node.Start;
        if (node.Kind != JKind.Object)
        {
            throw At(node.Start, $"[{objectName}] Expected START_OBJECT but was: {node.TokenName}");
        }

        foreach (var property in node.Properties)
        {
            Current = property.NameOffset;
            XField? field = null;
            foreach (var f in fields)
            {
                if (f.Name == property.Name)
                {
                    field = f;
                    break;
                }
            }

            if (field is null && IgnoreUnknownFields)
            {
                continue;
            }

            if (field is null)
            {
                throw At(property.NameOffset, $"[{objectName}] unknown field [{property.Name}]{Suggest(property.Name, fields)}");
            }

            var value = property.Value;
            Current = value.Start;
            if (!Supports(field.Type, value.Kind))
            {
                throw At(value.Start, $"[{objectName}] {property.Name} doesn't support values of type: {value.TokenName}");
            }

            try
            {
                field.Handle(value);
            }
            catch (ElasticsearchException e)
            {
                throw At(Current, $"[{objectName}] failed to parse field [{property.Name}]", e);
            }

            Current = value.Kind is JKind.Object or JKind.Array ? value.End : value.Start;
        }

        Current = node.End;
    }

    /// <summary>Parses each element of an object array (a single object counts as one element).</summary>
    public List<T> ParseObjectArray<T>(JNode node, Func<JNode, T> parseItem)
    {
        var result = new List<T>();
        if (node.Kind == JKind.Object)
        {
            result.Add(parseItem(node));
            return result;
        }

        foreach (var item in node.Items)
        {
            Current = item.Start;
            result.Add(parseItem(item));
        }

        Current = node.End;
        return result;
    }

    /// <summary>
    /// Runs the consumers ES's ConstructingObjectParser queued until the object could be built, last first; an
    /// error becomes <c>failed to build [obj] after last required field arrived</c> around
    /// <c>[obj] failed to parse field [f]</c>, both located at the queued value.
    /// </summary>
    public void RunQueued(string objectName, List<(string Name, JNode Value, Action<JNode> Apply)> queued)
    {
        for (var i = queued.Count - 1; i >= 0; i--)
        {
            var (name, value, apply) = queued[i];
            try
            {
                apply(value);
            }
            catch (ElasticsearchException e)
            {
                var inner = At(value.Start, $"[{objectName}] failed to parse field [{name}]", e);
                throw At(value.Start, $"failed to build [{objectName}] after last required field arrived", inner);
            }
        }

        queued.Clear();
    }

    /// <summary>ES ConstructingObjectParser: an error building the object after its fields were read.</summary>
    public static ElasticsearchException FailedToBuild(string objectName, ElasticsearchException cause) =>
        new("x_content_parse_exception", $"Failed to build [{objectName}] after last required field arrived", 400, cause);

    public static string AsString(JNode value) => value.Text;

    public static string? AsStringOrNull(JNode value) => value.Kind == JKind.Null ? null : value.Text;

    public List<string> AsStringArray(JNode value)
    {
        if (value.Kind != JKind.Array)
        {
            return [value.Text];
        }

        var list = new List<string>(value.Items.Count);
        foreach (var item in value.Items)
        {
            Current = item.Start;
            if (!item.IsValue)
            {
                var (line, col) = JNode.Location(_json, item.Start);
                throw new ElasticsearchException("illegal_state_exception", $"Can't get text on a {item.TokenName} at {line}:{col}", 500);
            }

            list.Add(item.Text);
        }

        return list;
    }

    /// <summary>Long with Jackson/ES coercion: decimals are truncated, strings are parsed.</summary>
    public static long AsLong(JNode value)
    {
        var text = value.Kind == JKind.String ? value.Text.Trim() : value.Text;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            var truncated = decimal.Truncate(d);
            if (truncated >= long.MinValue && truncated <= long.MaxValue)
            {
                return (long)truncated;
            }

            throw new ElasticsearchException("illegal_argument_exception", $"Value [{text}] is out of range for a long", 400);
        }

        if (value.Kind == JKind.Number)
        {
            throw new ElasticsearchException("illegal_argument_exception", $"Value [{text}] is out of range for a long", 400);
        }

        throw new ElasticsearchException("number_format_exception", $"For input string: \"{value.Text}\"", 400);
    }

    /// <summary>Int with the same coercion as <see cref="AsLong"/>.</summary>
    public static int AsInt(JNode value)
    {
        var l = AsLong(value);
        if (l is < int.MinValue or > int.MaxValue)
        {
            throw new ElasticsearchException("illegal_argument_exception", $"Value [{value.Text}] is out of range for an integer", 400);
        }

        return (int)l;
    }

    public static double AsDouble(JNode value)
    {
        if (double.TryParse(value.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        throw new ElasticsearchException("number_format_exception", $"For input string: \"{value.Text}\"", 400);
    }

    public static bool AsBool(JNode value) => value.Kind switch
    {
        JKind.True => true,
        JKind.False => false,
        _ when value.Text == "true" => true,
        _ when value.Text == "false" => false,
        _ => throw ElasticsearchException.IllegalArgument(
            $"Failed to parse value [{value.Text}] as only [true] or [false] are allowed."),
    };

    private static bool Supports(VType type, JKind kind) => type switch
    {
        VType.String => kind == JKind.String,
        VType.StringOrNull => kind is JKind.String or JKind.Null,
        VType.Number => kind is JKind.Number or JKind.String,
        VType.Boolean => kind is JKind.True or JKind.False or JKind.String,
        VType.StringArray => kind is JKind.Array or JKind.String,
        VType.Object => kind == JKind.Object,
        VType.ObjectArray => kind is JKind.Object or JKind.Array,
        VType.ObjectOrString => kind is JKind.Object or JKind.String,
        _ => kind is JKind.String or JKind.Number or JKind.True or JKind.False or JKind.Null,
    };

    /// <summary>
    /// ES <c>SuggestingErrorOnUnknown</c>: candidates with Lucene Levenshtein similarity above 0.5, best first,
    /// ties by name: <c> did you mean [x]?</c> or <c> did you mean any of [x, y]?</c>.
    /// </summary>
    internal static string Suggest(string unknown, IReadOnlyList<XField> fields)
    {
        var scored = new List<(float Score, string Name)>();
        foreach (var f in fields)
        {
            var score = Similarity(unknown, f.Name);
            if (score > 0.5f)
            {
                scored.Add((score, f.Name));
            }
        }

        if (scored.Count == 0)
        {
            return string.Empty;
        }

        scored.Sort((a, b) =>
        {
            var c = b.Score.CompareTo(a.Score);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        var sb = new StringBuilder(" did you mean ");
        if (scored.Count == 1)
        {
            sb.Append('[').Append(scored[0].Name).Append(']');
        }
        else
        {
            sb.Append("any of [");
            for (var i = 0; i < scored.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                sb.Append(scored[i].Name);
            }

            sb.Append(']');
        }

        return sb.Append('?').ToString();
    }

    /// <summary>Lucene <c>LevenshteinDistance.getDistance</c>: 1 - edits / max(length).</summary>
    internal static float Similarity(string target, string other)
    {
        var n = target.Length;
        var m = other.Length;
        if (n == 0 || m == 0)
        {
            return n == m ? 1f : 0f;
        }

        var previous = new int[n + 1];
        var current = new int[n + 1];
        for (var i = 0; i <= n; i++)
        {
            previous[i] = i;
        }

        for (var j = 1; j <= m; j++)
        {
            var tj = other[j - 1];
            current[0] = j;
            for (var i = 1; i <= n; i++)
            {
                var cost = target[i - 1] == tj ? 0 : 1;
                current[i] = Math.Min(Math.Min(current[i - 1] + 1, previous[i] + 1), previous[i - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return 1.0f - ((float)previous[n] / Math.Max(m, n));
    }
}
