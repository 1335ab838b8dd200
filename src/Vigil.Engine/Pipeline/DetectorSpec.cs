namespace Vigil.Engine.Pipeline;

/// <summary>One detector of a job's analysis config, as the pipeline needs it.</summary>
/// <param name="Index">The detector's <c>detector_index</c>.</param>
/// <param name="Function">Canonical ES function name, e.g. <c>high_mean</c>, <c>non_zero_count</c>, <c>rare</c>
/// (aliases such as <c>avg</c>, <c>nzc</c>, <c>dc</c> are accepted too).</param>
/// <param name="FieldName">The analysed field (<c>field_name</c>), or null for count functions.</param>
/// <param name="ByFieldName"><c>by_field_name</c>, or null.</param>
/// <param name="OverFieldName"><c>over_field_name</c>, or null.</param>
/// <param name="PartitionFieldName"><c>partition_field_name</c>, or null.</param>
/// <param name="UseNull"><c>use_null</c>: records missing a split field form a series with an empty value instead of being skipped.</param>
/// <param name="ExcludeFrequent"><c>exclude_frequent</c>: <c>all</c>, <c>none</c>, <c>by</c> or <c>over</c> (any case), or null.</param>
/// <param name="Rules">Custom rules (<c>custom_rules</c>); null or empty for none.</param>
/// <param name="Description"><c>detector_description</c>.</param>
public sealed record DetectorSpec(
    int Index,
    string Function,
    string? FieldName,
    string? ByFieldName,
    string? OverFieldName,
    string? PartitionFieldName,
    bool UseNull,
    string? ExcludeFrequent,
    string Description,
    IReadOnlyList<DetectorRuleSpec>? Rules = null);
