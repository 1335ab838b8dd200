using System.Text.Json;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>
/// An ML filter (<c>PUT _ml/filters/&lt;filter_id&gt;</c>): a named list of strings that custom rule scopes refer to.
/// </summary>
/// <remarks>
/// Implementation note (mirrors ES <c>MlFilter</c>): items are a sorted set (Java string order, i.e. ordinal UTF-16),
/// at most 10,000; the id follows the job id syntax without the 64-character limit; the description is optional and
/// omitted from the JSON when unset.
/// </remarks>
/// <param name="FilterId">The filter id.</param>
/// <param name="Description">The description, or null.</param>
/// <param name="Items">The items, sorted ordinally, without duplicates.</param>
public sealed record MlFilter(string FilterId, string? Description, IReadOnlyList<string> Items)
{
    /// <summary>Most items a filter may hold (ES <c>MlFilter.MAX_ITEMS</c>).</summary>
    public const int MaxItems = 10000;

    /// <summary>Parses the body of <c>PUT _ml/filters/&lt;filter_id&gt;</c> (strict: unknown fields are refused).</summary>
    /// <exception cref="ElasticsearchException">A parse error, an id that differs from the URL's, an invalid id, or too many items.</exception>
    public static MlFilter ParseForPut(ReadOnlySpan<byte> json, string filterId) => Parse(json, filterId, strict: true);

    /// <summary>Parses a filter as stored (lenient).</summary>
    public static MlFilter ParseStored(ReadOnlySpan<byte> json) => Parse(json, null, strict: false);

    /// <summary>400 <c>status_exception</c> (ES <c>badRequestException</c>) for an id that is not a valid ML id.</summary>
    public static void ValidateId(string filterId)
    {
        if (!JobBuilder.IsValidId(filterId))
        {
            throw ElasticsearchException.StatusError(Messages.InvalidId("filter_id", filterId));
        }
    }

    /// <summary>Builds a filter: sorts and deduplicates the items and checks the id and the item count.</summary>
    public static MlFilter Create(string filterId, string? description, IEnumerable<string> items)
    {
        ValidateId(filterId);
        var set = new SortedSet<string>(items, StringComparer.Ordinal);
        if (set.Count > MaxItems)
        {
            throw ElasticsearchException.StatusError(
                $"Filter [{filterId}] contains too many items; up to [{MaxItems.ToString(System.Globalization.CultureInfo.InvariantCulture)}] items are allowed");
        }

        return new MlFilter(filterId, description, [.. set]);
    }

    /// <summary>Writes the filter as the APIs return it: <c>filter_id</c>, <c>description</c> (when set), <c>items</c>.</summary>
    public void Write(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("filter_id", FilterId);
        if (Description is not null)
        {
            writer.WriteString("description", Description);
        }

        writer.WriteStartArray("items");
        foreach (var item in Items)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static MlFilter Parse(ReadOnlySpan<byte> json, string? urlId, bool strict)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json, ignoreUnknownFields: !strict);
        string? id = null;
        string? description = null;
        List<string> items = [];
        x.ParseObject(root, "filter",
        [
            new("type", VType.String, _ => { }),
            new("filter_id", VType.String, v => id = v.Text),
            new("description", VType.StringOrNull, v => description = XContent.AsStringOrNull(v)),
            new("items", VType.StringArray, v => items = x.AsStringArray(v)),
        ]);
        if (id is null)
        {
            id = urlId;
        }
        else if (!string.IsNullOrEmpty(urlId) && urlId != id)
        {
            throw ElasticsearchException.IllegalArgument(
                $"Inconsistent filter_id; '{id}' specified in the body differs from '{urlId}' specified as a URL argument");
        }

        if (id is null)
        {
            throw ElasticsearchException.IllegalArgument("[filter_id] must not be null.");
        }

        return Create(id, description, items);
    }
}

/// <summary>The body of <c>POST _ml/filters/&lt;filter_id&gt;/_update</c>.</summary>
/// <param name="Description">A new description, or null to keep it.</param>
/// <param name="AddItems">Items to add.</param>
/// <param name="RemoveItems">Items to remove (each must be present).</param>
public sealed record MlFilterUpdate(string? Description, IReadOnlyList<string> AddItems, IReadOnlyList<string> RemoveItems)
{
    /// <summary>Whether the update changes nothing (ES answers with the filter as it is).</summary>
    public bool IsNoop => Description is null && AddItems.Count == 0 && RemoveItems.Count == 0;

    /// <summary>Parses the update body (strict) for the filter named in the URL.</summary>
    public static MlFilterUpdate Parse(ReadOnlySpan<byte> json, string filterId)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        string? id = null;
        string? description = null;
        List<string> add = [];
        List<string> remove = [];
        x.ParseObject(root, "update_filter_action",
        [
            new("filter_id", VType.String, v => id = v.Text),
            new("description", VType.String, v => description = v.Text),
            new("add_items", VType.StringArray, v => add = x.AsStringArray(v)),
            new("remove_items", VType.StringArray, v => remove = x.AsStringArray(v)),
        ]);
        if (id is not null && id != filterId)
        {
            throw ElasticsearchException.IllegalArgument(
                $"Inconsistent filter_id; '{id}' specified in the body differs from '{filterId}' specified as a URL argument");
        }

        return new MlFilterUpdate(description, add, remove);
    }

    /// <summary>
    /// The updated filter: items added, then removed; 400 <c>Cannot remove item [x] as it is not present in filter [id]</c>
    /// for an item to remove that is not there (ES checks after adding).
    /// </summary>
    public MlFilter ApplyTo(MlFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (IsNoop)
        {
            return filter;
        }

        var items = new SortedSet<string>(filter.Items, StringComparer.Ordinal);
        items.UnionWith(AddItems);
        foreach (var item in RemoveItems)
        {
            if (!items.Remove(item))
            {
                throw ElasticsearchException.StatusError($"Cannot remove item [{item}] as it is not present in filter [{filter.FilterId}]");
            }
        }

        return MlFilter.Create(filter.FilterId, Description ?? filter.Description, items);
    }
}
