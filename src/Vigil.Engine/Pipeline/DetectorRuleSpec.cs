namespace Vigil.Engine.Pipeline;

/// <summary>A detector custom rule as the pipeline applies it.</summary>
/// <param name="SkipResult">The <c>skip_result</c> action: a matching series-bucket produces no result.</param>
/// <param name="SkipModelUpdate">The <c>skip_model_update</c> action: the model does not learn from a matching series-bucket.</param>
/// <param name="Scope">The rule's <c>scope</c>, with each filter's items resolved; empty for a rule without scope.</param>
/// <param name="Conditions">All must hold for the rule to match.</param>
/// <param name="ForceTimeShiftSeconds">The <c>force_time_shift</c> action's <c>time_shift_amount</c> (seconds), or null
/// without that action: the first bucket whose start meets the rule's <c>time</c> conditions shifts the detector's
/// model time by this amount, once.</param>
/// <remarks>
/// Implementation note (mirrors ES/ml-cpp <c>CDetectionRule</c>): a rule applies to a series-bucket when the series is
/// in every scope entry (its value of the named by/over/partition field is in the filter for <c>include</c>, not in it
/// for <c>exclude</c>) and every condition holds.
/// </remarks>
public sealed record DetectorRuleSpec(bool SkipResult, bool SkipModelUpdate, IReadOnlyList<RuleScopeSpec> Scope,
    IReadOnlyList<RuleConditionSpec> Conditions, long? ForceTimeShiftSeconds = null)
{
    /// <summary>Whether the rule has a <c>scope</c>.</summary>
    public bool HasScope => Scope.Count > 0;

    /// <summary>Whether every <c>time</c> condition holds for a bucket (the test of the <c>force_time_shift</c> action,
    /// which applies to the detector's models as a whole, so conditions on a series' values are not checked).</summary>
    /// <param name="bucketStartMs">Bucket start, epoch ms (<c>time</c> conditions compare epoch seconds).</param>
    public bool MatchesTime(long bucketStartMs)
    {
        var conditions = Conditions;
        for (var i = 0; i < conditions.Count; i++)
        {
            var c = conditions[i];
            if (c.AppliesTo == RuleTarget.Time && !Holds(c.Operator, bucketStartMs / 1000.0, c.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether every condition holds for a series-bucket.</summary>
    /// <param name="actual">The bucket value.</param>
    /// <param name="typical">The model's typical value.</param>
    /// <param name="bucketStartMs">Bucket start, epoch ms (<c>time</c> conditions compare epoch seconds).</param>
    public bool Matches(double actual, double typical, long bucketStartMs)
    {
        // Indexed, not foreach: enumerating the interface would allocate per series-bucket.
        var conditions = Conditions;
        for (var i = 0; i < conditions.Count; i++)
        {
            var c = conditions[i];
            var x = c.AppliesTo switch
            {
                RuleTarget.Actual => actual,
                RuleTarget.Typical => typical,
                RuleTarget.DiffFromTypical => Math.Abs(actual - typical),
                _ => bucketStartMs / 1000.0,
            };
            if (!Holds(c.Operator, x, c.Value))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Holds(RuleOperator op, double x, double value) => op switch
    {
        RuleOperator.Gt => x > value,
        RuleOperator.Gte => x >= value,
        RuleOperator.Lt => x < value,
        _ => x <= value,
    };
}

/// <summary>One entry of a rule's <c>scope</c>: a split field and the filter its value is checked against.</summary>
/// <param name="FieldName">The by, over or partition field the entry names.</param>
/// <param name="FilterId">The filter's id (for filter updates of an open job).</param>
/// <param name="Include"><c>include</c> (the value must be in the filter) or <c>exclude</c> (it must not).</param>
/// <param name="Items">The filter's items when the job opened.</param>
public sealed record RuleScopeSpec(string FieldName, string FilterId, bool Include, IReadOnlyCollection<string> Items);

/// <summary>One numeric condition of a rule.</summary>
/// <param name="AppliesTo">What is compared.</param>
/// <param name="Operator">How.</param>
/// <param name="Value">With what.</param>
public sealed record RuleConditionSpec(RuleTarget AppliesTo, RuleOperator Operator, double Value);

/// <summary>What a rule condition compares: <c>actual</c>, <c>typical</c>, <c>diff_from_typical</c> or <c>time</c>.</summary>
public enum RuleTarget
{
    /// <summary>The bucket value.</summary>
    Actual,

    /// <summary>The model's typical value.</summary>
    Typical,

    /// <summary>|actual − typical|.</summary>
    DiffFromTypical,

    /// <summary>The bucket start, epoch seconds.</summary>
    Time,
}

/// <summary>Comparison of a rule condition: <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>.</summary>
public enum RuleOperator
{
    /// <summary>Greater than.</summary>
    Gt,

    /// <summary>Greater than or equal.</summary>
    Gte,

    /// <summary>Less than.</summary>
    Lt,

    /// <summary>Less than or equal.</summary>
    Lte,
}
