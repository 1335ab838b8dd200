namespace Vigil.Engine.Configuration;

/// <summary>A numeric condition of a detector custom rule (ES <c>RuleCondition</c>).</summary>
/// <param name="AppliesTo"><c>actual</c>, <c>typical</c>, <c>diff_from_typical</c> or <c>time</c>.</param>
/// <param name="Operator"><c>gt</c>, <c>gte</c>, <c>lt</c> or <c>lte</c>.</param>
/// <param name="Value">The threshold.</param>
/// <param name="ValueText">The number exactly as given, echoed on output.</param>
public sealed record RuleCondition(string AppliesTo, string Operator, double Value, string ValueText);

/// <summary>A scope entry of a custom rule: a filter applied to one by/over/partition field (ES <c>FilterRef</c>).</summary>
/// <param name="FieldName">The by/over/partition field the filter applies to.</param>
/// <param name="FilterId">The filter id.</param>
/// <param name="FilterType"><c>include</c> (default) or <c>exclude</c>.</param>
public sealed record RuleScopeEntry(string FieldName, string FilterId, string FilterType);

/// <summary>A detector custom rule (ES <c>DetectionRule</c>), with defaults filled in.</summary>
public sealed record DetectionRule
{
    /// <summary>Actions, in the order given; default <c>["skip_result"]</c>.</summary>
    public IReadOnlyList<string> Actions { get; init; } = ["skip_result"];

    /// <summary>Scope entries in the order given.</summary>
    public IReadOnlyList<RuleScopeEntry> Scope { get; init; } = [];

    /// <summary>Conditions; all must hold.</summary>
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];

    /// <summary><c>params.force_time_shift.time_shift_amount</c> in seconds, when the rule shifts time.</summary>
    public long? ForceTimeShiftAmount { get; init; }
}
