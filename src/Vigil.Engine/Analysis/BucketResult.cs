using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Analysis;

/// <summary>The result of one closed bucket of a single-metric analysis.</summary>
/// <param name="BucketStartMs">Bucket start, epoch milliseconds.</param>
/// <param name="RecordCount">Records that fell in the bucket.</param>
/// <param name="Series">Model result for the bucket value (not scored for skipped empty buckets).</param>
/// <param name="RawScore">Raw (unnormalized) bucket score.</param>
/// <param name="AnomalyScore">Initial normalized bucket <c>anomaly_score</c>, 0–100.</param>
public readonly record struct BucketResult(
    long BucketStartMs,
    long RecordCount,
    SeriesResult Series,
    double RawScore,
    double AnomalyScore);
