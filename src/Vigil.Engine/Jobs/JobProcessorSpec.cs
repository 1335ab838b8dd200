using Vigil.Engine.Configuration;
using Vigil.Engine.Input;
using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Jobs;

/// <summary>What a <see cref="JobProcessor"/> needs to know of its job.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Schema">Time field and format, analysis fields, bucket span and latency.</param>
/// <param name="RequiredFieldCount">Distinct required input fields including the time field (data counts rules).</param>
/// <param name="Analysis">Detectors, influencers and the rest of the analysis.</param>
public sealed record JobProcessorSpec(string JobId, IngestSchema Schema, int RequiredFieldCount, AnalysisSpec Analysis);

/// <summary>Builds processor specs from job configurations.</summary>
public static class JobProcessorSpecs
{
    /// <summary>The processor spec of a job.</summary>
    /// <param name="job">The job.</param>
    /// <param name="filters">The items of every filter the job's custom rule scopes name, by filter id (see
    /// <see cref="JobConfig.ReferencedFilterIds"/>); may be null when the job has no scoped rule.</param>
    /// <exception cref="ArgumentException">A scope names a filter missing from <paramref name="filters"/>.</exception>
    public static JobProcessorSpec From(JobConfig job, IReadOnlyDictionary<string, IReadOnlyCollection<string>>? filters = null)
    {
        var schema = job.ToIngestSchema();
        var detectors = new List<DetectorSpec>(job.AnalysisConfig.Detectors.Count);
        foreach (var d in job.AnalysisConfig.Detectors)
        {
            detectors.Add(new DetectorSpec(d.DetectorIndex, d.Function, d.FieldName, d.ByFieldName, d.OverFieldName,
                d.PartitionFieldName, d.UseNull, d.ExcludeFrequent, d.DetectorDescription, Rules(d.CustomRules, filters)));
        }

        var analysis = new AnalysisSpec(job.JobId, schema.BucketSpanMs, schema.LatencyMs, detectors, job.AnalysisConfig.Influencers,
            job.AnalysisConfig.SummaryCountFieldName, schema.AnalysisFields, job.ModelPlotConfig?.Enabled ?? false, Categorization(job));
        return new JobProcessorSpec(job.JobId, schema, job.RequiredInputFields.Count, analysis);
    }

    /// <summary>The categorization of a job that has a categorization field, else null.</summary>
    private static Categorization.CategorizationSpec? Categorization(JobConfig job)
    {
        var config = job.AnalysisConfig;
        if (config.CategorizationFieldName is not { } field)
        {
            return null;
        }

        string? partition = null;
        if (config.PerPartitionCategorization.Enabled)
        {
            foreach (var d in config.Detectors)
            {
                if (d.PartitionFieldName is not null && (d.ByFieldName == AnalysisConfig.MlCategoryField
                    || d.OverFieldName == AnalysisConfig.MlCategoryField || d.PartitionFieldName == AnalysisConfig.MlCategoryField))
                {
                    partition = d.PartitionFieldName;
                    break;
                }
            }
        }

        var examples = job.AnalysisLimits?.CategorizationExamplesLimit ?? 4;
        return new Categorization.CategorizationSpec(field, config.CategorizationAnalyzer?.CustomJson, config.CategorizationFilters,
            (int)Math.Min(int.MaxValue, examples), partition, config.PerPartitionCategorization.StopOnWarn);
    }

    private static List<DetectorRuleSpec> Rules(IReadOnlyList<DetectionRule> rules,
        IReadOnlyDictionary<string, IReadOnlyCollection<string>>? filters)
    {
        var result = new List<DetectorRuleSpec>(rules.Count);
        foreach (var rule in rules)
        {
            var conditions = new List<RuleConditionSpec>(rule.Conditions.Count);
            foreach (var c in rule.Conditions)
            {
                var target = c.AppliesTo switch
                {
                    "actual" => RuleTarget.Actual,
                    "typical" => RuleTarget.Typical,
                    "diff_from_typical" => RuleTarget.DiffFromTypical,
                    _ => RuleTarget.Time,
                };
                var op = c.Operator switch
                {
                    "gt" => RuleOperator.Gt,
                    "gte" => RuleOperator.Gte,
                    "lt" => RuleOperator.Lt,
                    _ => RuleOperator.Lte,
                };
                conditions.Add(new RuleConditionSpec(target, op, c.Value));
            }

            var scope = new List<RuleScopeSpec>(rule.Scope.Count);
            foreach (var entry in rule.Scope)
            {
                IReadOnlyCollection<string>? items = null;
                if (filters is null || !filters.TryGetValue(entry.FilterId, out items))
                {
                    throw new ArgumentException($"No filter with id [{entry.FilterId}] exists", nameof(filters));
                }

                scope.Add(new RuleScopeSpec(entry.FieldName, entry.FilterId, entry.FilterType != "exclude", items));
            }

            result.Add(new DetectorRuleSpec(rule.Actions.Contains("skip_result"), rule.Actions.Contains("skip_model_update"),
                scope, conditions, rule.Actions.Contains("force_time_shift") ? rule.ForceTimeShiftAmount : null));
        }

        return result;
    }
}
