using System.Globalization;
using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary><c>POST _ml/anomaly_detectors/_estimate_model_memory</c>.</summary>
/// <remarks>
/// Implementation note: reproduces the estimate that the stored <c>estimate_model_memory.yml</c> REST tests of
/// elastic/elasticsearch assert (3135mb, 3140mb, 150010mb, 150015mb), i.e. the first
/// <c>TransportEstimateModelMemoryAction</c>: 10 MiB basic requirement; per detector 64 KiB for the mean/min/max/
/// sum/non-null-sum families (1 byte placeholders for the others), multiplied by the overall cardinality of the by
/// field and of the partition field (over fields add nothing); 10 KiB per bucket-max value of influencers that
/// are not by/over/partition fields; 1 byte when categorization is used; <c>mlcategory</c> defaults to 500 overall
/// and 50 per bucket when not supplied, other missing fields count 0; additions and multiplications saturate at
/// <c>long.MaxValue</c>; rounded up to whole MiB. Later ES versions refined the per-function numbers and the by
/// field multiplier; those would change the values the YAML tests expect, so they are not used.
/// </remarks>
public static class ModelMemoryEstimator
{
    private const long BasicRequirement = 10L * 1024 * 1024;
    private const long BytesPerInfluencerValue = 10L * 1024;
    private const long BytesInMb = 1024L * 1024;

    /// <summary>ES names the request parser after the action.</summary>
    private const string RequestObjectName = "cluster:admin/xpack/ml/job/estimate_model_memory";

    /// <summary>Returns the estimate as ES prints it, e.g. <c>3135mb</c>.</summary>
    /// <exception cref="ElasticsearchException">Parse and validation errors as ES reports them.</exception>
    public static string Estimate(ReadOnlySpan<byte> json)
    {
        var root = JNode.Parse(json);
        var x = new XContent(json);
        AnalysisConfig? config = null;
        var overall = new Dictionary<string, long>(StringComparer.Ordinal);
        var bucketMax = new Dictionary<string, long>(StringComparer.Ordinal);
        x.ParseObject(root, RequestObjectName,
        [
            new("analysis_config", VType.Object, v => config = ConfigParsers.ParseAnalysisConfig(x, v, strict: true)),
            new("overall_cardinality", VType.Object, v => ReadCardinalities(x, v, "overall_cardinality", overall)),
            new("max_bucket_cardinality", VType.Object, v => ReadCardinalities(x, v, "max_bucket_cardinality", bucketMax)),
        ]);

        if (config is null)
        {
            throw new ElasticsearchException("action_request_validation_exception",
                "Validation Failed: 1: [analysis_config] was not specified;", 400);
        }

        return EstimateMb(config, overall, bucketMax).ToString(CultureInfo.InvariantCulture) + "mb";
    }

    /// <summary>The estimate in whole MiB (rounded up).</summary>
    public static long EstimateMb(
        AnalysisConfig config, IReadOnlyDictionary<string, long> overallCardinality, IReadOnlyDictionary<string, long> maxBucketCardinality)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(overallCardinality);
        ArgumentNullException.ThrowIfNull(maxBucketCardinality);
        var answer = BasicRequirement;
        foreach (var d in config.Detectors)
        {
            answer = Add(answer, DetectorBytes(d, overallCardinality));
        }

        var pure = new HashSet<string>(config.Influencers, StringComparer.Ordinal);
        foreach (var d in config.Detectors)
        {
            foreach (var f in d.ByOverPartitionFields)
            {
                pure.Remove(f);
            }
        }

        long influencerCardinality = 0;
        foreach (var influencer in pure)
        {
            influencerCardinality = Add(influencerCardinality, Cardinality(influencer, maxBucketCardinality, overall: false));
        }

        answer = Add(answer, Multiply(BytesPerInfluencerValue, influencerCardinality));
        if (config.CategorizationFieldName is not null)
        {
            answer = Add(answer, 1);
        }

        return Add(answer, BytesInMb - 1) / BytesInMb;
    }

    private static long DetectorBytes(Detector d, IReadOnlyDictionary<string, long> overall)
    {
        long answer = d.Function switch
        {
            "mean" or "low_mean" or "high_mean" or "avg" or "low_avg" or "high_avg" or "min" or "max" or "sum" or "low_sum"
                or "high_sum" or "non_null_sum" or "low_non_null_sum" or "high_non_null_sum" => 64L * 1024,
            _ => 1,
        };
        if (d.ByFieldName is not null)
        {
            answer = Multiply(answer, Cardinality(d.ByFieldName, overall, overall: true));
        }

        if (d.PartitionFieldName is not null)
        {
            answer = Multiply(answer, Cardinality(d.PartitionFieldName, overall, overall: true));
        }

        return answer;
    }

    private static long Cardinality(string field, IReadOnlyDictionary<string, long> supplied, bool overall)
    {
        if (supplied.TryGetValue(field, out var value))
        {
            return value;
        }

        if (field == AnalysisConfig.MlCategoryField)
        {
            return overall ? 500 : 50;
        }

        return 0;
    }

    /// <summary>ES <c>p.map(HashMap::new, parseNonNegativeLong)</c>: each value read with <c>longValue()</c>.</summary>
    private static void ReadCardinalities(XContent x, JNode node, string field, Dictionary<string, long> into)
    {
        foreach (var p in node.Properties)
        {
            x.Current = p.Value.Start;
            if (p.Value.Kind is not (JKind.Number or JKind.String))
            {
                throw new ElasticsearchException("illegal_state_exception", $"Can't get text on a {p.Value.TokenName}", 500);
            }

            var value = XContent.AsLong(p.Value);
            if (value < 0)
            {
                throw Messages.BadRequest($"[{field}] contained negative cardinality [{value.ToString(CultureInfo.InvariantCulture)}]");
            }

            into[p.Name] = value;
        }
    }

    private static long Add(long a, long b) => long.MaxValue - a - b < 0 ? long.MaxValue : a + b;

    private static long Multiply(long a, long b)
    {
        if (a == 0 || b == 0)
        {
            return 0;
        }

        return long.MaxValue / a < b ? long.MaxValue : a * b;
    }
}
