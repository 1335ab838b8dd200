using System.Text.Json;

namespace Vigil.Engine.Configuration;

/// <summary>
/// Reproduces the iteration order of a Java <c>HashMap&lt;String, ?&gt;</c>, which is the order Elasticsearch writes
/// objects it parsed with <c>XContentParser.map()</c> (custom analyzer definitions, updated custom_settings).
/// </summary>
/// <remarks>
/// Implementation note: a HashMap with default settings has a power-of-two table of at least 16 buckets, grown
/// while size exceeds 0.75 of it; a key goes to bucket <c>(h ^ (h &gt;&gt;&gt; 16)) &amp; (n - 1)</c> with <c>h</c> the
/// Java <c>String.hashCode</c>; iteration walks buckets in order and each bucket in insertion order (resizing
/// keeps the relative order). Buckets with eight or more keys would become trees; objects that large are not
/// expected in these settings, and for them the insertion order inside the bucket is kept.
/// </remarks>
internal static class JavaMapOrder
{
    /// <summary>Java <c>String.hashCode</c> over UTF-16 code units.</summary>
    public static int JavaHashCode(string s)
    {
        var h = 0;
        foreach (var c in s)
        {
            h = unchecked((31 * h) + c);
        }

        return h;
    }

    /// <summary>The <paramref name="properties"/> in Java HashMap iteration order.</summary>
    public static List<JProperty> Order(IReadOnlyList<JProperty> properties)
    {
        var capacity = 16;
        while (properties.Count > capacity * 3 / 4)
        {
            capacity *= 2;
        }

        var indexed = new List<(int Bucket, int Position, JProperty Property)>(properties.Count);
        for (var i = 0; i < properties.Count; i++)
        {
            var h = JavaHashCode(properties[i].Name);
            var spread = h ^ (int)((uint)h >> 16);
            indexed.Add((spread & (capacity - 1), i, properties[i]));
        }

        indexed.Sort((a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : a.Position.CompareTo(b.Position));
        var result = new List<JProperty>(indexed.Count);
        foreach (var item in indexed)
        {
            result.Add(item.Property);
        }

        return result;
    }

    /// <summary>Writes <paramref name="node"/> with every object (at all levels) in HashMap order.</summary>
    public static void WriteAsHashMap(Utf8JsonWriter writer, JNode node)
    {
        switch (node.Kind)
        {
            case JKind.Object:
                writer.WriteStartObject();
                foreach (var p in Order(node.Properties))
                {
                    writer.WritePropertyName(p.Name);
                    WriteAsHashMap(writer, p.Value);
                }

                writer.WriteEndObject();
                break;
            case JKind.Array:
                writer.WriteStartArray();
                foreach (var item in node.Items)
                {
                    WriteAsHashMap(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    /// <summary>Compact JSON of <paramref name="node"/> with every object in HashMap order.</summary>
    public static string ToHashMapJson(JNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteAsHashMap(writer, node);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
