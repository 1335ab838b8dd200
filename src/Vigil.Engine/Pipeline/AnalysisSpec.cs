namespace Vigil.Engine.Pipeline;

/// <summary>What the analysis pipeline of one job needs from the job config.</summary>
/// <param name="JobId">The job id (written into every result).</param>
/// <param name="BucketSpanMs">Bucket span in milliseconds.</param>
/// <param name="LatencyMs">Latency in milliseconds: how long buckets stay open for late records.</param>
/// <param name="Detectors">The detectors, in <c>detector_index</c> order.</param>
/// <param name="Influencers">Influencer field names.</param>
/// <param name="SummaryCountFieldName"><c>summary_count_field_name</c>, or null.</param>
/// <param name="AnalysisFields">The fields a record carries, by index (see <see cref="Input.RecordFields"/>):
/// every field name the detectors, influencers and summary count refer to must be in this list.</param>
/// <param name="ModelPlotEnabled">Whether model plot documents are produced.</param>
/// <param name="Categorization">How to categorize messages into <c>mlcategory</c>, when a detector uses it; null otherwise.</param>
public sealed record AnalysisSpec(
    string JobId,
    long BucketSpanMs,
    long LatencyMs,
    IReadOnlyList<DetectorSpec> Detectors,
    IReadOnlyList<string> Influencers,
    string? SummaryCountFieldName,
    IReadOnlyList<string> AnalysisFields,
    bool ModelPlotEnabled,
    Categorization.CategorizationSpec? Categorization = null);
