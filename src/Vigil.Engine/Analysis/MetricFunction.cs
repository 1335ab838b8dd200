using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Analysis;

/// <summary>The bucket statistic of a single-metric detector.</summary>
public enum MetricStatistic
{
    /// <summary>Records per bucket; empty buckets count as 0.</summary>
    Count,

    /// <summary>Sum of the field; empty buckets count as 0.</summary>
    Sum,

    /// <summary>Arithmetic mean of the field; empty buckets are skipped.</summary>
    Mean,

    /// <summary>Median of the field; empty buckets are skipped.</summary>
    Median,

    /// <summary>Minimum of the field (low side only).</summary>
    Min,

    /// <summary>Maximum of the field (high side only).</summary>
    Max,

    /// <summary>Population variance of the field; empty buckets are skipped.</summary>
    Varp,
}

/// <summary>A detector function: statistic plus the anomalous side.</summary>
/// <param name="Statistic">The bucket statistic.</param>
/// <param name="Tail">Which side of the model is anomalous.</param>
/// <param name="Name">ES function name, e.g. <c>high_mean</c>.</param>
public readonly record struct MetricFunction(MetricStatistic Statistic, Tail Tail, string Name)
{
    /// <summary>Whether empty buckets are modelled as zero (count, sum) rather than skipped.</summary>
    public bool EmptyBucketIsZero => Statistic is MetricStatistic.Count or MetricStatistic.Sum;

    /// <summary>Whether the function needs a numeric field.</summary>
    public bool NeedsField => Statistic != MetricStatistic.Count;

    /// <summary>
    /// Parses an ES function name: count, mean, avg, sum, median, min, max, varp and their
    /// <c>high_</c>/<c>low_</c> forms (min is low-only and max high-only, as in ES).
    /// </summary>
    public static bool TryParse(string name, out MetricFunction function)
    {
        ArgumentNullException.ThrowIfNull(name);
        var tail = Tail.TwoSided;
        var core = name;
        if (name.StartsWith("high_", StringComparison.Ordinal))
        {
            tail = Tail.High;
            core = name[5..];
        }
        else if (name.StartsWith("low_", StringComparison.Ordinal))
        {
            tail = Tail.Low;
            core = name[4..];
        }

        MetricStatistic statistic;
        switch (core)
        {
            case "count":
                statistic = MetricStatistic.Count;
                break;
            case "sum":
                statistic = MetricStatistic.Sum;
                break;
            case "mean":
            case "avg":
                statistic = MetricStatistic.Mean;
                break;
            case "median":
                statistic = MetricStatistic.Median;
                break;
            case "varp":
                statistic = MetricStatistic.Varp;
                break;
            case "min" when tail == Tail.TwoSided:
                statistic = MetricStatistic.Min;
                tail = Tail.Low;
                break;
            case "max" when tail == Tail.TwoSided:
                statistic = MetricStatistic.Max;
                tail = Tail.High;
                break;
            default:
                function = default;
                return false;
        }

        function = new MetricFunction(statistic, tail, name);
        return true;
    }
}
