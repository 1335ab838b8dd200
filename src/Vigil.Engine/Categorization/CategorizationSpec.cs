namespace Vigil.Engine.Categorization;

/// <summary>What the analysis pipeline needs to categorize a job's messages (<c>mlcategory</c>).</summary>
/// <param name="FieldName"><c>categorization_field_name</c>; must be one of the analysis fields.</param>
/// <param name="AnalyzerJson">The custom <c>categorization_analyzer</c> object as JSON, or null for the default analyzer.</param>
/// <param name="Filters"><c>categorization_filters</c>, or null.</param>
/// <param name="ExamplesLimit"><c>analysis_limits.categorization_examples_limit</c> (default 4).</param>
/// <param name="PartitionFieldName">With <c>per_partition_categorization.enabled</c>, the partition field of the detectors
/// that use <c>mlcategory</c>; null otherwise.</param>
/// <param name="StopOnWarn"><c>per_partition_categorization.stop_on_warn</c>.</param>
public sealed record CategorizationSpec(
    string FieldName,
    string? AnalyzerJson,
    IReadOnlyList<string>? Filters,
    int ExamplesLimit,
    string? PartitionFieldName,
    bool StopOnWarn);
