using System.Text.Json;

namespace Vigil.Engine.Categorization;

/// <summary>A category definition as <c>GET results/categories</c> returns it (Elasticsearch's <c>CategoryDefinition</c>).</summary>
public sealed class CategoryDocument
{
    private string? _grokPattern;

    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>The category id (unique in the job, from 1).</summary>
    public required long CategoryId { get; init; }

    /// <summary>Per-partition categorization: the partition field name; else null.</summary>
    public string? PartitionFieldName { get; init; }

    /// <summary>Per-partition categorization: the partition value; else null.</summary>
    public string? PartitionFieldValue { get; init; }

    /// <summary>Space-separated common tokens.</summary>
    public required string Terms { get; init; }

    /// <summary>Regex matching the category's messages.</summary>
    public required string Regex { get; init; }

    /// <summary>Longest message (UTF-8 bytes) the category matches.</summary>
    public required long MaxMatchingLength { get; init; }

    /// <summary>Examples, sorted.</summary>
    public required IReadOnlyList<string> Examples { get; init; }

    /// <summary>
    /// The Grok pattern of the category (Elasticsearch's experimental <c>grok_pattern</c>), computed from
    /// <see cref="Regex"/> and <see cref="Examples"/> on first read (when the changed definition is written) unless set.
    /// </summary>
    public string GrokPattern
    {
        get => _grokPattern ??= GrokPatternCreator.ForCategory(Regex, Examples);
        init => _grokPattern = value;
    }

    /// <summary>Messages in the category.</summary>
    public required long NumMatches { get; init; }

    /// <summary>Less frequent categories this one's search matches (it is preferred to them), sorted.</summary>
    public required IReadOnlyList<int> PreferredToCategories { get; init; }

    /// <summary>
    /// Writes the document: <c>job_id, category_id, partition_field_name?, partition_field_value?, terms, regex,
    /// max_matching_length, examples, grok_pattern, preferred_to_categories</c> (when not empty), <c>num_matches</c> (when
    /// above 0), the partition field as a key, then <c>result_type: "category_definition"</c> and <c>mlcategory</c> (the id
    /// as text). <c>grok_pattern</c> comes from <see cref="GrokPatternCreator"/> ("" without examples), as Elasticsearch adds
    /// it to every category it returns.
    /// </summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        w.WriteNumber("category_id", CategoryId);
        if (PartitionFieldName is not null)
        {
            w.WriteString("partition_field_name", PartitionFieldName);
        }

        if (PartitionFieldValue is not null)
        {
            w.WriteString("partition_field_value", PartitionFieldValue);
        }

        w.WriteString("terms", Terms);
        w.WriteString("regex", Regex);
        w.WriteNumber("max_matching_length", MaxMatchingLength);
        w.WriteStartArray("examples");
        foreach (var e in Examples)
        {
            w.WriteStringValue(e);
        }

        w.WriteEndArray();
        w.WriteString("grok_pattern", GrokPattern);
        if (PreferredToCategories.Count > 0)
        {
            w.WriteStartArray("preferred_to_categories");
            foreach (var c in PreferredToCategories)
            {
                w.WriteNumberValue(c);
            }

            w.WriteEndArray();
        }

        if (NumMatches > 0)
        {
            w.WriteNumber("num_matches", NumMatches);
        }

        if (PartitionFieldName is not null && PartitionFieldValue is not null && !IsReserved(PartitionFieldName))
        {
            w.WriteString(PartitionFieldName, PartitionFieldValue);
        }

        w.WriteString("result_type", "category_definition");
        w.WriteString("mlcategory", CategoryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private static bool IsReserved(string name) => name is "job_id" or "category_id" or "partition_field_name" or "partition_field_value"
        or "terms" or "regex" or "max_matching_length" or "examples" or "grok_pattern" or "num_matches" or "preferred_to_categories"
        or "result_type" or "mlcategory";
}
