namespace Vigil.Engine.Input;

/// <summary>What an input reader needs to know about a job: its time field and format, the fields
/// the analysis reads, and the bucketing that out-of-order checks depend on.</summary>
/// <param name="TimeField">Name of the time field (dots address nested objects).</param>
/// <param name="TimeFormat"><c>epoch</c>, <c>epoch_ms</c>, or a Java DateTimeFormatter pattern.</param>
/// <param name="AnalysisFields">The job's required input fields except the time field, without duplicates,
/// in a fixed order: by/over/partition fields, detector field names, influencers, categorization and
/// summary count fields. <see cref="RecordFields"/> indexes follow this order.</param>
/// <param name="BucketSpanMs">Bucket span in milliseconds.</param>
/// <param name="LatencyMs">Latency in milliseconds (0 when not set).</param>
public sealed record IngestSchema(
    string TimeField,
    string TimeFormat,
    IReadOnlyList<string> AnalysisFields,
    long BucketSpanMs,
    long LatencyMs);
