namespace Vigil.Engine.Pipeline;

/// <summary>The bucket statistic one model of a detector learns.</summary>
internal enum BucketFeature
{
    /// <summary>Records (or summed summary counts) per bucket.</summary>
    Count,

    /// <summary>Sum of the field.</summary>
    Sum,

    /// <summary>Arithmetic mean (weighted by summary count).</summary>
    Mean,

    /// <summary>Median.</summary>
    Median,

    /// <summary>Minimum.</summary>
    Min,

    /// <summary>Maximum.</summary>
    Max,

    /// <summary>Population variance.</summary>
    Varp,

    /// <summary>Number of distinct values of the field.</summary>
    DistinctCount,

    /// <summary>Compressed length of the distinct values of the field.</summary>
    InfoContent,

    /// <summary>Seconds since midnight (UTC) of each record, averaged over the bucket.</summary>
    TimeOfDay,

    /// <summary>Seconds since the start of the week (Monday 00:00 UTC).</summary>
    TimeOfWeek,

    /// <summary>Mean latitude of the bucket's positions (<c>lat_long</c>).</summary>
    Latitude,

    /// <summary>Mean longitude of the bucket's positions (<c>lat_long</c>).</summary>
    Longitude,

    /// <summary>Presence of a by value (category) in the bucket, scored by its rarity (<c>rare</c>).</summary>
    Rare,
}
