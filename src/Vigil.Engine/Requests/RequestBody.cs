using Vigil.Engine.Configuration;

namespace Vigil.Engine.Requests;

/// <summary>
/// Strict parsing of the small request bodies that carry an endpoint's parameters (open, close, flush,
/// results), with Elasticsearch's unknown-field and wrong-type errors and their <c>[line:col]</c>.
/// </summary>
public static class RequestBody
{
    /// <summary>
    /// Parses an object whose fields are scalars (strings, numbers, booleans) into their text.
    /// Nested objects named in <paramref name="objects"/> are flattened as <c>outer.inner</c>.
    /// </summary>
    /// <param name="json">The body.</param>
    /// <param name="objectName">The parser name Elasticsearch uses in messages (e.g. <c>close_job_request</c>).</param>
    /// <param name="fields">The accepted scalar fields.</param>
    /// <param name="objects">Accepted nested objects and their scalar fields (e.g. <c>page</c>: from, size).</param>
    /// <exception cref="Errors.ElasticsearchException">400 <c>x_content_parse_exception</c> for malformed JSON,
    /// unknown fields and wrong value types.</exception>
    public static Dictionary<string, string> ParseFlat(ReadOnlySpan<byte> json, string objectName, IReadOnlyList<string> fields,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? objects = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var root = JNode.Parse(json);
        var content = new XContent(json);
        content.ParseObject(root, objectName, Declare(content, fields, objects, values, prefix: ""));
        return values;
    }

    private static List<XField> Declare(XContent content, IReadOnlyList<string> fields, IReadOnlyDictionary<string, IReadOnlyList<string>>? objects,
        Dictionary<string, string> values, string prefix)
    {
        var declared = new List<XField>(fields.Count);
        foreach (var name in fields)
        {
            var key = prefix + name;
            declared.Add(new XField(name, VType.Value, node => values[key] = node.Text));
        }

        if (objects is not null)
        {
            foreach (var (name, inner) in objects)
            {
                declared.Add(new XField(name, VType.Object, node =>
                    content.ParseObject(node, name, Declare(content, inner, null, values, name + "."))));
            }
        }

        return declared;
    }
}
