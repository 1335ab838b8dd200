using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>How a detector function turns records into bucket values.</summary>
/// <param name="Name">Canonical ES function name (aliases expanded), e.g. <c>high_mean</c>.</param>
/// <param name="Features">The statistics modelled (three for <c>metric</c>: min, max, mean; one otherwise).</param>
/// <param name="Tails">The anomalous side of each feature.</param>
/// <param name="EmptyBucketIsZero">Whether a series seen before gets a 0 in a bucket without records
/// (count, high_count, low_count, sum and its one-sided forms) rather than no value.</param>
/// <param name="NeedsNumber">Whether the field must hold a number.</param>
/// <param name="MinimumBuckets">Buckets of data before a series is scored.</param>
/// <param name="MinimumElapsedMs">Elapsed time before a series is scored.</param>
/// <param name="Complement">Influence rule: true for the complement rule (remove the value's records),
/// false for the intersection rule (score the value's own statistic).</param>
/// <param name="InfluenceAvailable">False for low_count, low_sum, low_distinct_count and low_info_content,
/// for which ml-cpp computes no influence.</param>
/// <param name="Rare">True for <c>rare</c>: the by values are categories scored by their rarity.</param>
/// <param name="LatLong">True for <c>lat_long</c>: latitude and longitude are modelled separately and reported as one record.</param>
/// <param name="FreqRare">True for <c>freq_rare</c> (with <see cref="Rare"/>): a person's rare categories are weighted by how
/// much of the person's activity in the bucket they take.</param>
internal sealed record DetectorFunction(
    string Name,
    BucketFeature[] Features,
    Tail[] Tails,
    bool EmptyBucketIsZero,
    bool NeedsNumber,
    int MinimumBuckets,
    long MinimumElapsedMs,
    bool Complement,
    bool InfluenceAvailable,
    bool Rare = false,
    bool LatLong = false,
    bool FreqRare = false)
{
    private const long TwoHoursMs = 2 * 3_600_000L;

    /// <summary>ES <c>function_description</c> of a feature.</summary>
    public static string Describe(BucketFeature feature) => feature switch
    {
        BucketFeature.Count => "count",
        BucketFeature.Rare => "rare",
        BucketFeature.Latitude or BucketFeature.Longitude => "lat_long",
        BucketFeature.Sum => "sum",
        BucketFeature.Mean => "mean",
        BucketFeature.Median => "median",
        BucketFeature.Min => "min",
        BucketFeature.Max => "max",
        BucketFeature.Varp => "varp",
        BucketFeature.DistinctCount => "distinct_count",
        BucketFeature.InfoContent => "info_content",
        BucketFeature.TimeOfDay => "time",
        BucketFeature.TimeOfWeek => "time",
        _ => "unknown",
    };

    /// <summary>
    /// Parses an ES function name (or alias). Returns null for unknown names and for prefixed forms
    /// ES does not have (e.g. <c>high_rare</c>).
    /// </summary>
    public static DetectorFunction? TryParse(string function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var tail = Tail.TwoSided;
        var core = function;
        var prefix = string.Empty;
        if (function.StartsWith("high_", StringComparison.Ordinal))
        {
            tail = Tail.High;
            core = function[5..];
            prefix = "high_";
        }
        else if (function.StartsWith("low_", StringComparison.Ordinal))
        {
            tail = Tail.Low;
            core = function[4..];
            prefix = "low_";
        }

        // Aliases as ES expands them.
        core = core switch
        {
            "avg" => "mean",
            "nzc" => "non_zero_count",
            "dc" => "distinct_count",
            _ => core,
        };

        var name = prefix + core;
        var low = tail == Tail.Low;
        switch (core)
        {
            case "count":
                return One(name, BucketFeature.Count, tail, emptyZero: true, number: false, 8, TwoHoursMs, complement: true, !low);
            case "non_zero_count":
                return One(name, BucketFeature.Count, tail, emptyZero: false, number: false, 4, 0, complement: true, !low);
            case "distinct_count":
                return One(name, BucketFeature.DistinctCount, tail, emptyZero: false, number: false, 4, 0, complement: false, !low);
            case "info_content":
                return One(name, BucketFeature.InfoContent, tail, emptyZero: false, number: false, 4, 0, complement: false, !low);
            case "mean":
                return One(name, BucketFeature.Mean, tail, emptyZero: false, number: true, 8, TwoHoursMs, complement: true, true);
            case "median":
                return One(name, BucketFeature.Median, tail, emptyZero: false, number: true, 8, TwoHoursMs, complement: true, true);
            case "varp":
                return One(name, BucketFeature.Varp, tail, emptyZero: false, number: true, 8, TwoHoursMs, complement: true, true);
            case "sum":
                return One(name, BucketFeature.Sum, tail, emptyZero: true, number: true, 8, TwoHoursMs, complement: true, !low);
            case "non_null_sum":
                return One(name, BucketFeature.Sum, tail, emptyZero: false, number: true, 8, TwoHoursMs, complement: true, !low);
            case "min" when prefix.Length == 0:
                return One(name, BucketFeature.Min, Tail.Low, emptyZero: false, number: true, 8, TwoHoursMs, complement: false, true);
            case "max" when prefix.Length == 0:
                return One(name, BucketFeature.Max, Tail.High, emptyZero: false, number: true, 8, TwoHoursMs, complement: false, true);
            case "metric" when prefix.Length == 0:
                return new DetectorFunction(
                    name,
                    [BucketFeature.Min, BucketFeature.Max, BucketFeature.Mean],
                    [Tail.Low, Tail.High, Tail.TwoSided],
                    EmptyBucketIsZero: false,
                    NeedsNumber: true,
                    8,
                    TwoHoursMs,
                    Complement: true,
                    InfluenceAvailable: true);
            case "rare" when prefix.Length == 0:
                return new DetectorFunction(name, [BucketFeature.Rare], [Tail.TwoSided], false, false, 20, 0, false, true, Rare: true);
            case "freq_rare" when prefix.Length == 0:
                return new DetectorFunction(
                    name, [BucketFeature.Rare], [Tail.TwoSided], false, false, 20, 0, false, true, Rare: true, FreqRare: true);
            case "lat_long" when prefix.Length == 0:
                return new DetectorFunction(
                    name, [BucketFeature.Latitude, BucketFeature.Longitude], [Tail.TwoSided, Tail.TwoSided], false, false, 8, TwoHoursMs, false, true,
                    LatLong: true);
            case "time_of_day" when prefix.Length == 0:
                return One(name, BucketFeature.TimeOfDay, Tail.TwoSided, emptyZero: false, number: false, 8, TwoHoursMs, complement: false, true);
            case "time_of_week" when prefix.Length == 0:
                return One(name, BucketFeature.TimeOfWeek, Tail.TwoSided, emptyZero: false, number: false, 8, TwoHoursMs, complement: false, true);
            default:
                return null;
        }
    }

    private static DetectorFunction One(
        string name, BucketFeature feature, Tail tail, bool emptyZero, bool number, int minBuckets, long minElapsed, bool complement, bool influence) =>
        new(name, [feature], [tail], emptyZero, number, minBuckets, minElapsed, complement, influence);
}
