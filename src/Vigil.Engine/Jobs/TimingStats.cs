using System.Text.Json;

namespace Vigil.Engine.Jobs;

/// <summary>A job's <c>timing_stats</c>: how long bucket processing takes.</summary>
/// <remarks>
/// Implementation note: as Elasticsearch's TimingStats, the average is the cumulative mean, the exponential
/// average uses α = 0.01 and starts at the first value, and the per-hour figure sums the processing time of
/// the buckets of each hour of data time and blends it with the average of earlier hours with weight
/// exp(−f) on the earlier hours, f being the fraction of the current hour that has passed. Minimum, maximum, average and exponential average are absent until
/// a bucket has been processed.
/// </remarks>
public sealed class TimingStats
{
    private const double Alpha = 0.01;
    private const long HourMs = 3_600_000;

    /// <summary>Buckets processed.</summary>
    public long BucketCount { get; private set; }

    /// <summary>Sum of processing times, ms.</summary>
    public double TotalMs { get; private set; }

    /// <summary>Fastest bucket, ms.</summary>
    public double? MinimumMs { get; private set; }

    /// <summary>Slowest bucket, ms.</summary>
    public double? MaximumMs { get; private set; }

    /// <summary>Exponential average per bucket, ms.</summary>
    public double? ExponentialAverageMs { get; private set; }

    /// <summary>Exponential average of the previous complete hours, ms per hour.</summary>
    public double? PreviousHourAverageMs { get; private set; }

    /// <summary>Processing time summed over the current hour, ms.</summary>
    public double CurrentHourMs { get; private set; }

    /// <summary>Start of the current hour of data time, epoch ms.</summary>
    public long? CurrentHourStartMs { get; private set; }

    /// <summary>Latest bucket timestamp seen, epoch ms.</summary>
    public long? LatestBucketMs { get; private set; }

    /// <summary>Records one processed bucket.</summary>
    public void Add(long bucketTimestampMs, double processingMs)
    {
        BucketCount++;
        TotalMs += processingMs;
        MinimumMs = MinimumMs is { } min ? Math.Min(min, processingMs) : processingMs;
        MaximumMs = MaximumMs is { } max ? Math.Max(max, processingMs) : processingMs;
        ExponentialAverageMs = ExponentialAverageMs is { } avg ? (Alpha * processingMs) + ((1 - Alpha) * avg) : processingMs;

        var hour = bucketTimestampMs - Mod(bucketTimestampMs, HourMs);
        if (CurrentHourStartMs is { } current && hour > current)
        {
            PreviousHourAverageMs = Blend(PreviousHourAverageMs, CurrentHourMs, 1.0);
            CurrentHourMs = 0;
        }

        if (CurrentHourStartMs is null || hour > CurrentHourStartMs)
        {
            CurrentHourStartMs = hour;
        }

        CurrentHourMs += processingMs;
        LatestBucketMs = bucketTimestampMs;
    }

    /// <summary>The per-hour exponential average as reported now.</summary>
    public double PerHourMs
    {
        get
        {
            var elapsed = LatestBucketMs is { } latest && CurrentHourStartMs is { } start
                ? Math.Clamp((latest - start) / (double)HourMs, 0, 1)
                : 0;
            return Blend(PreviousHourAverageMs, CurrentHourMs, elapsed);
        }
    }

    /// <summary>Writes the <c>timing_stats</c> object.</summary>
    public void WriteTo(Utf8JsonWriter w, string jobId)
    {
        w.WriteStartObject();
        w.WriteString("job_id", jobId);
        w.WriteNumber("bucket_count", BucketCount);
        w.WriteNumber("total_bucket_processing_time_ms", TotalMs);
        if (BucketCount > 0)
        {
            w.WriteNumber("minimum_bucket_processing_time_ms", MinimumMs!.Value);
            w.WriteNumber("maximum_bucket_processing_time_ms", MaximumMs!.Value);
            w.WriteNumber("average_bucket_processing_time_ms", TotalMs / BucketCount);
            w.WriteNumber("exponential_average_bucket_processing_time_ms", ExponentialAverageMs!.Value);
        }

        w.WriteNumber("exponential_average_bucket_processing_time_per_hour_ms", PerHourMs);
        w.WriteEndObject();
    }

    /// <summary>Writes the fields needed to restore the statistics.</summary>
    public void Save(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("bucket_count", BucketCount);
        w.WriteNumber("total_ms", TotalMs);
        WriteOptional(w, "minimum_ms", MinimumMs);
        WriteOptional(w, "maximum_ms", MaximumMs);
        WriteOptional(w, "exponential_average_ms", ExponentialAverageMs);
        WriteOptional(w, "previous_hour_average_ms", PreviousHourAverageMs);
        w.WriteNumber("current_hour_ms", CurrentHourMs);
        WriteOptional(w, "current_hour_start_ms", CurrentHourStartMs);
        WriteOptional(w, "latest_bucket_ms", LatestBucketMs);
        w.WriteEndObject();
    }

    /// <summary>Restores statistics written by <see cref="Save"/>.</summary>
    public static TimingStats Load(JsonElement e)
    {
        return new TimingStats
        {
            BucketCount = e.GetProperty("bucket_count").GetInt64(),
            TotalMs = e.GetProperty("total_ms").GetDouble(),
            MinimumMs = OptionalDouble(e, "minimum_ms"),
            MaximumMs = OptionalDouble(e, "maximum_ms"),
            ExponentialAverageMs = OptionalDouble(e, "exponential_average_ms"),
            PreviousHourAverageMs = OptionalDouble(e, "previous_hour_average_ms"),
            CurrentHourMs = e.GetProperty("current_hour_ms").GetDouble(),
            CurrentHourStartMs = OptionalLong(e, "current_hour_start_ms"),
            LatestBucketMs = OptionalLong(e, "latest_bucket_ms"),
        };
    }

    private static double Blend(double? previous, double current, double fractionOfHour)
    {
        if (previous is not { } p)
        {
            return current;
        }

        var alpha = Math.Exp(-fractionOfHour);
        return (alpha * p) + ((1 - alpha) * current);
    }

    private static long Mod(long a, long b) => ((a % b) + b) % b;

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static double? OptionalDouble(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) ? p.GetDouble() : null;

    private static long? OptionalLong(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) ? p.GetInt64() : null;
}
