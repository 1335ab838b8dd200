using System.Text.Json;

namespace Vigil.Server.Http;

/// <summary>
/// Elasticsearch's <c>filter_path</c> response filtering: comma-separated dotted paths, <c>*</c> within a
/// name, <c>**</c> for any depth, and <c>-</c> prefixed exclusions. Arrays are transparent.
/// </summary>
public sealed class FilterPath
{
    private readonly List<string[]> _includes = [];
    private readonly List<string[]> _excludes = [];

    private FilterPath()
    {
    }

    /// <summary>Parses the parameter; null when it selects nothing to filter.</summary>
    public static FilterPath? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var filter = new FilterPath();
        foreach (var raw in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.StartsWith('-'))
            {
                filter._excludes.Add(raw[1..].Split('.'));
            }
            else
            {
                filter._includes.Add(raw.Split('.'));
            }
        }

        return filter._includes.Count == 0 && filter._excludes.Count == 0 ? null : filter;
    }

    /// <summary>Writes <paramref name="source"/> filtered.</summary>
    public void Write(JsonElement source, Utf8JsonWriter writer)
    {
        var includes = _includes.Count == 0 ? [(["**"], 0)] : ToStates(_includes);
        if (!WriteFiltered(source, writer, includes, ToStates(_excludes), null))
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
    }

    private static List<(string[] Path, int At)> ToStates(List<string[]> paths)
    {
        var states = new List<(string[], int)>(paths.Count);
        foreach (var p in paths)
        {
            states.Add((p, 0));
        }

        return states;
    }

    /// <summary>Writes a value if anything in it survives; returns whether something was written.</summary>
    private static bool WriteFiltered(JsonElement element, Utf8JsonWriter writer, List<(string[] Path, int At)> includes,
        List<(string[] Path, int At)> excludes, string? propertyName)
    {
        if (Completed(excludes))
        {
            return false;
        }

        if (Completed(includes) && excludes.Count == 0)
        {
            if (propertyName is not null)
            {
                writer.WritePropertyName(propertyName);
            }

            element.WriteTo(writer);
            return true;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                {
                    var wrote = false;
                    foreach (var property in element.EnumerateObject())
                    {
                        var childIncludes = Advance(includes, property.Name);
                        if (childIncludes.Count == 0)
                        {
                            continue;
                        }

                        var childExcludes = Advance(excludes, property.Name);
                        if (!wrote)
                        {
                            // Defer the object start until a child survives.
                            if (!HasSurvivor(property.Value, childIncludes, childExcludes))
                            {
                                continue;
                            }

                            if (propertyName is not null)
                            {
                                writer.WritePropertyName(propertyName);
                            }

                            writer.WriteStartObject();
                            wrote = true;
                        }

                        WriteFiltered(property.Value, writer, childIncludes, childExcludes, property.Name);
                    }

                    if (wrote)
                    {
                        writer.WriteEndObject();
                    }

                    return wrote;
                }

            case JsonValueKind.Array:
                {
                    var wrote = false;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!HasSurvivor(item, includes, excludes))
                        {
                            continue;
                        }

                        if (!wrote)
                        {
                            if (propertyName is not null)
                            {
                                writer.WritePropertyName(propertyName);
                            }

                            writer.WriteStartArray();
                            wrote = true;
                        }

                        WriteFiltered(item, writer, includes, excludes, null);
                    }

                    if (wrote)
                    {
                        writer.WriteEndArray();
                    }

                    return wrote;
                }

            default:
                // A scalar survives only when an include path is complete here.
                if (!Completed(includes))
                {
                    return false;
                }

                if (propertyName is not null)
                {
                    writer.WritePropertyName(propertyName);
                }

                element.WriteTo(writer);
                return true;
        }
    }

    private static bool HasSurvivor(JsonElement element, List<(string[] Path, int At)> includes, List<(string[] Path, int At)> excludes)
    {
        using var sink = new Utf8JsonWriter(Stream.Null);
        return WriteFiltered(element, sink, includes, excludes, null);
    }

    private static bool Completed(List<(string[] Path, int At)> states)
    {
        foreach (var (path, at) in states)
        {
            if (at >= path.Length || (at == path.Length - 1 && path[at] == "**"))
            {
                return true;
            }
        }

        return false;
    }

    private static List<(string[] Path, int At)> Advance(List<(string[] Path, int At)> states, string name)
    {
        var next = new List<(string[], int)>();
        foreach (var (path, at) in states)
        {
            if (at >= path.Length)
            {
                next.Add((path, at)); // a completed path covers everything below it
                continue;
            }

            var segment = path[at];
            if (segment == "**")
            {
                next.Add((path, at)); // ** keeps matching deeper
                if (at + 1 < path.Length && Matches(path[at + 1], name))
                {
                    next.Add((path, at + 2));
                }
            }
            else if (Matches(segment, name))
            {
                next.Add((path, at + 1));
            }
        }

        return next;
    }

    /// <summary>Simple glob: <c>*</c> matches any run of characters.</summary>
    internal static bool Matches(string pattern, string name)
    {
        if (pattern == "*")
        {
            return true;
        }

        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return string.Equals(pattern, name, StringComparison.Ordinal);
        }

        return Glob(pattern.AsSpan(), name.AsSpan());
    }

    private static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return pattern.SequenceEqual(text);
        }

        if (!text.StartsWith(pattern[..star]))
        {
            return false;
        }

        var rest = pattern[(star + 1)..];
        for (var i = star; i <= text.Length; i++)
        {
            if (Glob(rest, text[i..]))
            {
                return true;
            }
        }

        return false;
    }
}
