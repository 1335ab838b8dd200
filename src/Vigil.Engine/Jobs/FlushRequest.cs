namespace Vigil.Engine.Jobs;

/// <summary>A flush, with its parameters already parsed and validated (epoch milliseconds).</summary>
/// <param name="CalcInterim">Compute interim results for the buckets not yet finalized.</param>
/// <param name="StartMs">With <paramref name="CalcInterim"/>: first bucket to compute interim results for.</param>
/// <param name="EndMs">With <paramref name="CalcInterim"/>: end of the interim range.</param>
/// <param name="AdvanceTimeMs">Finalize every bucket that ends at or before this time.</param>
/// <param name="SkipTimeMs">Jump to this time (rounded up to a bucket boundary) without results or model updates.</param>
public sealed record FlushRequest(bool CalcInterim, long? StartMs, long? EndMs, long? AdvanceTimeMs, long? SkipTimeMs);

/// <summary>What a flush answers.</summary>
/// <param name="LastFinalizedBucketEndMs">End of the last finalized bucket, null while no data was seen.</param>
public sealed record FlushResult(long? LastFinalizedBucketEndMs);
