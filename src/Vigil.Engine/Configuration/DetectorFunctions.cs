namespace Vigil.Engine.Configuration;

/// <summary>The detector functions Elasticsearch accepts, their aliases and field rules (ES <c>DetectorFunction</c>).</summary>
public static class DetectorFunctions
{
    private static readonly Dictionary<string, string> Canonical = new(StringComparer.Ordinal)
    {
        ["count"] = "count",
        ["low_count"] = "low_count",
        ["high_count"] = "high_count",
        ["non_zero_count"] = "non_zero_count",
        ["nzc"] = "non_zero_count",
        ["low_non_zero_count"] = "low_non_zero_count",
        ["low_nzc"] = "low_non_zero_count",
        ["high_non_zero_count"] = "high_non_zero_count",
        ["high_nzc"] = "high_non_zero_count",
        ["distinct_count"] = "distinct_count",
        ["dc"] = "distinct_count",
        ["low_distinct_count"] = "low_distinct_count",
        ["low_dc"] = "low_distinct_count",
        ["high_distinct_count"] = "high_distinct_count",
        ["high_dc"] = "high_distinct_count",
        ["rare"] = "rare",
        ["freq_rare"] = "freq_rare",
        ["info_content"] = "info_content",
        ["low_info_content"] = "low_info_content",
        ["high_info_content"] = "high_info_content",
        ["metric"] = "metric",
        ["mean"] = "mean",
        ["low_mean"] = "low_mean",
        ["high_mean"] = "high_mean",
        ["avg"] = "avg",
        ["low_avg"] = "low_avg",
        ["high_avg"] = "high_avg",
        ["median"] = "median",
        ["low_median"] = "low_median",
        ["high_median"] = "high_median",
        ["min"] = "min",
        ["max"] = "max",
        ["sum"] = "sum",
        ["low_sum"] = "low_sum",
        ["high_sum"] = "high_sum",
        ["non_null_sum"] = "non_null_sum",
        ["low_non_null_sum"] = "low_non_null_sum",
        ["high_non_null_sum"] = "high_non_null_sum",
        ["varp"] = "varp",
        ["low_varp"] = "low_varp",
        ["high_varp"] = "high_varp",
        ["time_of_day"] = "time_of_day",
        ["time_of_week"] = "time_of_week",
        ["lat_long"] = "lat_long",
    };

    private static readonly HashSet<string> CountWithoutField =
        ["count", "high_count", "low_count", "non_zero_count", "low_non_zero_count", "high_non_zero_count", "time_of_day", "time_of_week"];

    private static readonly HashSet<string> FieldName =
    [
        "distinct_count", "low_distinct_count", "high_distinct_count", "info_content", "low_info_content", "high_info_content",
        "metric", "mean", "avg", "high_mean", "high_avg", "low_mean", "low_avg", "median", "low_median", "high_median", "min", "max",
        "sum", "low_sum", "high_sum", "non_null_sum", "low_non_null_sum", "high_non_null_sum", "varp", "low_varp", "high_varp", "lat_long",
    ];

    private static readonly HashSet<string> NoRuleCondition = ["lat_long", "metric", "rare", "freq_rare"];

    /// <summary>Full name for a function name or alias (<c>nzc</c> gives <c>non_zero_count</c>); null when unknown.</summary>
    public static string? ToCanonical(string name) => Canonical.GetValueOrDefault(name);

    /// <summary>Functions that need neither field_name, by nor over.</summary>
    public static bool IsCountWithoutField(string? function) => function is not null && CountWithoutField.Contains(function);

    /// <summary>Functions that require field_name (and no others accept it).</summary>
    public static bool RequiresFieldName(string? function) => function is not null && FieldName.Contains(function);

    /// <summary>Functions that require by_field_name (rare, freq_rare).</summary>
    public static bool RequiresByField(string? function) => function is "rare" or "freq_rare";

    /// <summary>Functions that require over_field_name (freq_rare).</summary>
    public static bool RequiresOverField(string? function) => function is "freq_rare";

    /// <summary>Functions that forbid over_field_name (the non_zero_count family).</summary>
    public static bool ForbidsOverField(string? function) =>
        function is "non_zero_count" or "low_non_zero_count" or "high_non_zero_count";

    /// <summary>Functions whose custom rules may only have conditions on time.</summary>
    public static bool ForbidsResultConditions(string function) => NoRuleCondition.Contains(function);
}
