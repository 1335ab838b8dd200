namespace Vigil.Engine.Jobs;

/// <summary>A finalized (or interim) bucket as the job processor saw it.</summary>
/// <param name="TimestampMs">Bucket start, epoch milliseconds.</param>
/// <param name="BucketSpanSeconds">Bucket span in seconds.</param>
/// <param name="EventCount">Records analysed in the bucket.</param>
/// <param name="IsInterim">True for interim results of a bucket that is not finalized yet.</param>
/// <param name="ProcessingTimeMs">Time spent closing the bucket, milliseconds.</param>
public sealed record BucketSummary(long TimestampMs, long BucketSpanSeconds, long EventCount, bool IsInterim, double ProcessingTimeMs);
