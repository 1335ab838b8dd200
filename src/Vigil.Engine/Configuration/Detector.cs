using System.Text;

namespace Vigil.Engine.Configuration;

/// <summary>One detector of an analysis config, validated, with defaults filled in (ES <c>Detector</c>).</summary>
public sealed record Detector
{
    /// <summary>The canonical function name (<c>nzc</c> is stored as <c>non_zero_count</c>).</summary>
    public required string Function { get; init; }

    /// <summary>The analysed field.</summary>
    public string? FieldName { get; init; }

    /// <summary>The by field.</summary>
    public string? ByFieldName { get; init; }

    /// <summary>The over field.</summary>
    public string? OverFieldName { get; init; }

    /// <summary>The partition field.</summary>
    public string? PartitionFieldName { get; init; }

    /// <summary>Whether a missing by/over/partition value forms its own series.</summary>
    public bool UseNull { get; init; }

    /// <summary><c>all</c>, <c>none</c>, <c>by</c> or <c>over</c>; null when not set.</summary>
    public string? ExcludeFrequent { get; init; }

    /// <summary>Custom rules with defaults filled (<c>actions</c>, <c>filter_type</c>).</summary>
    public IReadOnlyList<DetectionRule> CustomRules { get; init; } = [];

    /// <summary>The description given, or ES's generated default (see <see cref="DefaultDescription"/>).</summary>
    public required string DetectorDescription { get; init; }

    /// <summary>Position in the analysis config (reassigned 0..n-1 on parse).</summary>
    public int DetectorIndex { get; init; }

    /// <summary>The by, over and partition fields that are set, in that order.</summary>
    public IReadOnlyList<string> ByOverPartitionFields
    {
        get
        {
            var list = new List<string>(3);
            if (ByFieldName is not null)
            {
                list.Add(ByFieldName);
            }

            if (OverFieldName is not null)
            {
                list.Add(OverFieldName);
            }

            if (PartitionFieldName is not null)
            {
                list.Add(PartitionFieldName);
            }

            return list;
        }
    }

    /// <summary>
    /// ES's <c>DefaultDetectorDescription</c>: <c>function(field) by b over o partitionfield=p usenull=true
    /// excludefrequent=all</c>, quoting names that are not plain alphanumeric/underscore.
    /// </summary>
    public static string DefaultDescription(
        string function, string? fieldName, string? byFieldName, string? overFieldName, string? partitionFieldName,
        bool useNull, string? excludeFrequent)
    {
        var sb = new StringBuilder(function);
        if (!string.IsNullOrEmpty(fieldName))
        {
            sb.Append('(').Append(QuoteIfNeeded(fieldName)).Append(')');
        }

        if (!string.IsNullOrEmpty(byFieldName))
        {
            sb.Append(" by ").Append(QuoteIfNeeded(byFieldName));
        }

        if (!string.IsNullOrEmpty(overFieldName))
        {
            sb.Append(" over ").Append(QuoteIfNeeded(overFieldName));
        }

        if (!string.IsNullOrEmpty(partitionFieldName))
        {
            sb.Append(" partitionfield=").Append(QuoteIfNeeded(partitionFieldName));
        }

        if (useNull)
        {
            sb.Append(" usenull=true");
        }

        if (excludeFrequent is not null)
        {
            sb.Append(" excludefrequent=").Append(excludeFrequent);
        }

        return sb.ToString();
    }

    /// <summary>Equality ignoring <see cref="DetectorIndex"/>, as ES checks for duplicate detectors.</summary>
    internal bool SameConfigAs(Detector other)
    {
        if (Function != other.Function || FieldName != other.FieldName || ByFieldName != other.ByFieldName
            || OverFieldName != other.OverFieldName || PartitionFieldName != other.PartitionFieldName || UseNull != other.UseNull
            || ExcludeFrequent != other.ExcludeFrequent || DetectorDescription != other.DetectorDescription
            || CustomRules.Count != other.CustomRules.Count)
        {
            return false;
        }

        for (var i = 0; i < CustomRules.Count; i++)
        {
            var a = CustomRules[i];
            var b = other.CustomRules[i];
            if (a.ForceTimeShiftAmount != b.ForceTimeShiftAmount || !a.Actions.SequenceEqual(b.Actions)
                || !a.Scope.SequenceEqual(b.Scope) || !a.Conditions.SequenceEqual(b.Conditions))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>ES <c>MlStrings.doubleQuoteIfNotAlphaNumeric</c>.</summary>
    private static string QuoteIfNeeded(string value)
    {
        var plain = true;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }
}
