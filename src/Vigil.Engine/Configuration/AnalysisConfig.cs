namespace Vigil.Engine.Configuration;

/// <summary>The analysis part of a job (ES <c>AnalysisConfig</c>), validated, with defaults filled in.</summary>
public sealed record AnalysisConfig
{
    /// <summary>The default bucket span, <c>5m</c>.</summary>
    public static readonly TimeValue DefaultBucketSpan = TimeValue.FromMinutes(5);

    /// <summary>The field name detectors use to split by category.</summary>
    public const string MlCategoryField = "mlcategory";

    /// <summary>Bucket span, echoed in the unit given (default <c>5m</c>).</summary>
    public TimeValue BucketSpan { get; init; } = DefaultBucketSpan;

    /// <summary>The detectors, with <see cref="Detector.DetectorIndex"/> 0..n-1.</summary>
    public required IReadOnlyList<Detector> Detectors { get; init; }

    /// <summary>Influencer field names (always written, possibly empty).</summary>
    public IReadOnlyList<string> Influencers { get; init; } = [];

    /// <summary>Latency, when set.</summary>
    public TimeValue? Latency { get; init; }

    /// <summary>Field holding the count of pre-summarized input.</summary>
    public string? SummaryCountFieldName { get; init; }

    /// <summary>Field whose text is categorized.</summary>
    public string? CategorizationFieldName { get; init; }

    /// <summary>Categorization filters (regular expressions), when set (PUT converts them into an analyzer).</summary>
    public IReadOnlyList<string>? CategorizationFilters { get; init; }

    /// <summary>Categorization analyzer (global name or custom JSON), when set.</summary>
    public CategorizationAnalyzer? CategorizationAnalyzer { get; init; }

    /// <summary>Per-partition categorization (default disabled; written only when categorization is used).</summary>
    public PerPartitionCategorization PerPartitionCategorization { get; init; } = new(false, false);

    /// <summary>Model prune window, when set.</summary>
    public TimeValue? ModelPruneWindow { get; init; }

    /// <summary>Multivariate by fields flag, when set.</summary>
    public bool? MultivariateByFields { get; init; }
}
