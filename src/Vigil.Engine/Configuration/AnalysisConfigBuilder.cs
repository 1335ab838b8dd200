using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Mutable analysis config used while parsing and updating; <see cref="Build"/> runs ES's checks.</summary>
internal sealed class AnalysisConfigBuilder
{
    public AnalysisConfigBuilder()
    {
    }

    public AnalysisConfigBuilder(AnalysisConfig source)
    {
        BucketSpan = source.BucketSpan;
        Detectors = [.. source.Detectors];
        Influencers = [.. source.Influencers];
        Latency = source.Latency;
        SummaryCountFieldName = source.SummaryCountFieldName;
        CategorizationFieldName = source.CategorizationFieldName;
        CategorizationFilters = source.CategorizationFilters is null ? null : [.. source.CategorizationFilters];
        CategorizationAnalyzer = source.CategorizationAnalyzer;
        PerPartition = source.PerPartitionCategorization;
        ModelPruneWindow = source.ModelPruneWindow;
        MultivariateByFields = source.MultivariateByFields;
    }

    public TimeValue BucketSpan { get; set; } = AnalysisConfig.DefaultBucketSpan;

    public List<Detector>? Detectors { get; set; }

    public List<string> Influencers { get; set; } = [];

    public TimeValue? Latency { get; set; }

    public string? SummaryCountFieldName { get; set; }

    public string? CategorizationFieldName { get; set; }

    public List<string>? CategorizationFilters { get; set; }

    public CategorizationAnalyzer? CategorizationAnalyzer { get; set; }

    public PerPartitionCategorization PerPartition { get; set; } = new(false, false);

    public TimeValue? ModelPruneWindow { get; set; }

    public bool? MultivariateByFields { get; set; }

    /// <summary>ES <c>AnalysisConfig.Builder.build()</c>: validation in ES's order, then the immutable config.</summary>
    public AnalysisConfig Build(bool strict)
    {
        if (strict)
        {
            Validate();
        }

        return new AnalysisConfig
        {
            BucketSpan = BucketSpan,
            Detectors = Detectors ?? [],
            Influencers = Influencers,
            Latency = Latency,
            SummaryCountFieldName = SummaryCountFieldName,
            CategorizationFieldName = CategorizationFieldName,
            CategorizationFilters = CategorizationFilters,
            CategorizationAnalyzer = CategorizationAnalyzer,
            PerPartitionCategorization = PerPartition,
            ModelPruneWindow = ModelPruneWindow,
            MultivariateByFields = MultivariateByFields,
        };
    }

    private void Validate()
    {
        CheckPositiveWholeSeconds(BucketSpan, "bucket_span");
        VerifyModelPruneWindow();
        if (Latency is { } latency)
        {
            CheckNonNegativeWholeSeconds(latency, "latency");
        }

        if (Detectors is null || Detectors.Count == 0)
        {
            throw Messages.BadRequest("No detectors configured");
        }

        ConfigParsers.VerifyFieldName(SummaryCountFieldName);
        ConfigParsers.VerifyFieldName(CategorizationFieldName);
        VerifyMlCategory();
        if (CategorizationAnalyzer is not null && CategorizationFieldName is null)
        {
            throw Messages.BadRequest("categorization_analyzer requires setting categorization_field_name");
        }

        VerifyCategorizationFilters();
        VerifyPerPartition();
        if (SummaryCountFieldName is not null)
        {
            foreach (var d in Detectors)
            {
                if (d.Function == "metric")
                {
                    throw Messages.BadRequest("The 'metric' function cannot be used in jobs that will take pre-summarized input");
                }
            }
        }

        VerifyNestedFieldNames();
    }

    /// <summary>ES <c>TimeUtils.checkPositiveMultiple(value, SECONDS, field)</c>.</summary>
    internal static void CheckPositiveWholeSeconds(TimeValue value, string field)
    {
        if (value.TotalNanoseconds <= 0)
        {
            throw ElasticsearchException.IllegalArgument($"{field} cannot be less or equal than 0. Value = {value}");
        }

        CheckWholeSeconds(value, field);
    }

    /// <summary>ES <c>TimeUtils.checkNonNegativeMultiple(value, SECONDS, field)</c>.</summary>
    internal static void CheckNonNegativeWholeSeconds(TimeValue value, string field)
    {
        if (value.TotalNanoseconds < 0)
        {
            throw ElasticsearchException.IllegalArgument($"{field} cannot be less than 0. Value = {value}");
        }

        CheckWholeSeconds(value, field);
    }

    private static void CheckWholeSeconds(TimeValue value, string field)
    {
        if (value.TotalNanoseconds % 1_000_000_000L != 0)
        {
            throw ElasticsearchException.IllegalArgument($"{field} has to be a multiple of 1s; actual was '{value}'");
        }
    }

    private void VerifyMlCategory()
    {
        var used = false;
        foreach (var d in Detectors!)
        {
            if (d.ByFieldName == AnalysisConfig.MlCategoryField || d.OverFieldName == AnalysisConfig.MlCategoryField
                || d.PartitionFieldName == AnalysisConfig.MlCategoryField)
            {
                used = true;
            }
        }

        if (used && CategorizationFieldName is null)
        {
            throw Messages.BadRequest("categorization_field_name must be set for mlcategory to be available");
        }

        if (!used && CategorizationFieldName is not null)
        {
            throw Messages.BadRequest(
                "categorization_field_name is set but mlcategory is not used in any detector by/over/partition field");
        }
    }

    private void VerifyCategorizationFilters()
    {
        if (CategorizationFilters is null || CategorizationFilters.Count == 0)
        {
            return;
        }

        if (CategorizationAnalyzer is not null)
        {
            throw Messages.BadRequest(
                "categorization_filters cannot be used with categorization_analyzer - instead specify them as pattern_replace char_filters in the analyzer");
        }

        if (CategorizationFieldName is null)
        {
            throw Messages.BadRequest("categorization_filters require setting categorization_field_name");
        }

        var distinct = new HashSet<string>(CategorizationFilters, StringComparer.Ordinal);
        if (distinct.Count != CategorizationFilters.Count)
        {
            throw Messages.BadRequest("categorization_filters contain duplicates");
        }

        foreach (var f in CategorizationFilters)
        {
            if (f.Length == 0)
            {
                throw Messages.BadRequest("categorization_filters are not allowed to contain empty strings");
            }
        }

        foreach (var f in CategorizationFilters)
        {
            if (!ConfigParsers.IsValidRegex(f))
            {
                throw Messages.BadRequest($"categorization_filters contains invalid regular expression '{f}'");
            }
        }
    }

    private void VerifyPerPartition()
    {
        if (!PerPartition.Enabled)
        {
            return;
        }

        if (CategorizationFieldName is null)
        {
            throw Messages.BadRequest("categorization_field_name must be set when per-partition categorization is enabled");
        }

        string? single = null;
        foreach (var d in Detectors!)
        {
            var usesCategory = d.ByFieldName == AnalysisConfig.MlCategoryField || d.OverFieldName == AnalysisConfig.MlCategoryField
                || d.PartitionFieldName == AnalysisConfig.MlCategoryField;
            if (usesCategory)
            {
                if (d.PartitionFieldName == AnalysisConfig.MlCategoryField)
                {
                    throw Messages.BadRequest(
                        "mlcategory cannot be used as a partition_field_name when per-partition categorization is enabled");
                }

                if (d.PartitionFieldName is null)
                {
                    throw Messages.BadRequest(
                        "partition_field_name must be set for detectors that reference mlcategory when per-partition categorization is enabled");
                }
            }

            if (d.PartitionFieldName is { } partition)
            {
                if (single is not null && single != partition)
                {
                    throw Messages.BadRequest(
                        $"partition_field_name cannot vary between detectors when per-partition categorization is enabled: [{single}] and [{partition}] are used");
                }

                single = partition;
            }
        }
    }

    private void VerifyNestedFieldNames()
    {
        var terms = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var d in Detectors!)
        {
            foreach (var f in d.ByOverPartitionFields)
            {
                terms.Add(f);
            }
        }

        foreach (var i in Influencers)
        {
            terms.Add(i);
        }

        string? previous = null;
        foreach (var term in terms)
        {
            if (previous is not null && term.StartsWith(previous + ".", StringComparison.Ordinal))
            {
                throw Messages.BadRequest($"Fields [{previous}] and [{term}] cannot both be used in the same analysis_config");
            }

            previous = term;
        }
    }

    private void VerifyModelPruneWindow()
    {
        if (ModelPruneWindow is not { } window)
        {
            return;
        }

        var windowSeconds = window.TotalSeconds;
        var spanSeconds = BucketSpan.TotalSeconds;
        if (windowSeconds % spanSeconds != 0)
        {
            throw Messages.BadRequest(
                $"model_prune_window [{window}] must be a multiple of bucket_span [{BucketSpan}]");
        }

        if (windowSeconds / spanSeconds < 2)
        {
            throw Messages.BadRequest(
                $"model_prune_window [{window}] must be at least 2 times greater than bucket_span [{BucketSpan}]");
        }
    }
}
