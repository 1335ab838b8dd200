using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A <c>record</c> result: one anomalous series in one bucket.</summary>
public sealed class RecordDocument
{
    /// <summary>Job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Probability of the bucket value.</summary>
    public double Probability { get; init; }

    /// <summary>Multi-bucket impact in [−5, 5].</summary>
    public double? MultiBucketImpact { get; init; }

    /// <summary>Normalized score (renormalization may lower it).</summary>
    public double RecordScore { get; set; }

    /// <summary>Normalized score when first written.</summary>
    public double InitialRecordScore { get; set; }

    /// <summary>Bucket span in seconds.</summary>
    public long BucketSpan { get; init; }

    /// <summary>Detector index.</summary>
    public int DetectorIndex { get; init; }

    /// <summary>
    /// Not part of the API document: the detector feature whose normalizer scored the record (for renormalization),
    /// or null when unknown.
    /// </summary>
    public int? NormalizerFeature { get; init; }

    /// <summary>
    /// Not part of the API document: the record's normalizer scope (partition, person) (for renormalization), or
    /// null when unknown.
    /// </summary>
    public int? NormalizerScope { get; init; }

    /// <summary>
    /// Not part of the API document: how many results the normalizer scored in the bucket (the family of the
    /// family-wise absolute-probability ceiling, see <see cref="Analysis.Scoring.ScoreNormalizer"/>); null when unknown.
    /// </summary>
    public int? NormalizerFamily { get; init; }

    /// <summary>Whether this is an interim result.</summary>
    public bool IsInterim { get; init; }

    /// <summary>Bucket start, epoch milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>By field name, or null.</summary>
    public string? ByFieldName { get; init; }

    /// <summary>By field value, or null.</summary>
    public string? ByFieldValue { get; init; }

    /// <summary>Partition field name, or null.</summary>
    public string? PartitionFieldName { get; init; }

    /// <summary>Partition field value, or null.</summary>
    public string? PartitionFieldValue { get; init; }

    /// <summary>Function name (as configured, aliases expanded).</summary>
    public string? Function { get; init; }

    /// <summary>Function description (the modelled statistic, e.g. <c>mean</c>).</summary>
    public string? FunctionDescription { get; init; }

    /// <summary>Typical value(s).</summary>
    public IReadOnlyList<double>? Typical { get; init; }

    /// <summary>Actual value(s).</summary>
    public IReadOnlyList<double>? Actual { get; init; }

    /// <summary>Analysed field name, or null.</summary>
    public string? FieldName { get; init; }

    /// <summary>Over field name, or null.</summary>
    public string? OverFieldName { get; init; }

    /// <summary>Over field value, or null.</summary>
    public string? OverFieldValue { get; init; }

    /// <summary>Causes (population analysis only), or null.</summary>
    public IReadOnlyList<AnomalyCause>? Causes { get; init; }

    /// <summary>Influencers, or null when none.</summary>
    public IReadOnlyList<RecordInfluence>? Influencers { get; init; }

    /// <summary>Geo results (<c>lat_long</c> only), or null.</summary>
    public GeoResults? GeoResults { get; init; }

    /// <summary>Score explanation, or null.</summary>
    public AnomalyScoreExplanation? AnomalyScoreExplanation { get; init; }

    /// <summary>Writes the ES JSON object (field order as ES's <c>AnomalyRecord.toXContent</c>, then one key per
    /// by/over/partition/influencer field holding its values).</summary>
    public void WriteTo(Utf8JsonWriter w, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        w.WriteString("result_type", "record");
        w.WriteNumber("probability", Probability);
        if (MultiBucketImpact is { } mbi)
        {
            w.WriteNumber("multi_bucket_impact", mbi);
        }

        w.WriteNumber("record_score", RecordScore);
        w.WriteNumber("initial_record_score", InitialRecordScore);
        w.WriteNumber("bucket_span", BucketSpan);
        w.WriteNumber("detector_index", DetectorIndex);
        w.WriteBoolean("is_interim", IsInterim);
        ResultJson.WriteTime(w, human, "timestamp", Timestamp);
        Str(w, "by_field_name", ByFieldName);
        Str(w, "by_field_value", ByFieldValue);
        Str(w, "partition_field_name", PartitionFieldName);
        Str(w, "partition_field_value", PartitionFieldValue);
        Str(w, "function", Function);
        Str(w, "function_description", FunctionDescription);
        if (Typical is not null)
        {
            ResultJson.WriteDoubles(w, "typical", Typical);
        }

        if (Actual is not null)
        {
            ResultJson.WriteDoubles(w, "actual", Actual);
        }

        Str(w, "field_name", FieldName);
        Str(w, "over_field_name", OverFieldName);
        Str(w, "over_field_value", OverFieldValue);
        if (Causes is not null)
        {
            w.WriteStartArray("causes");
            foreach (var c in Causes)
            {
                c.WriteTo(w);
            }

            w.WriteEndArray();
        }

        if (Influencers is not null)
        {
            w.WriteStartArray("influencers");
            foreach (var i in Influencers)
            {
                i.WriteTo(w);
            }

            w.WriteEndArray();
        }

        if (GeoResults is not null)
        {
            w.WritePropertyName("geo_results");
            GeoResults.WriteTo(w);
        }

        if (AnomalyScoreExplanation is not null)
        {
            w.WritePropertyName("anomaly_score_explanation");
            AnomalyScoreExplanation.WriteTo(w);
        }

        WriteInputFields(w);
        w.WriteEndObject();
    }

    private void WriteInputFields(Utf8JsonWriter w)
    {
        // Insertion order: by, over, partition, then influencers; each name once with its distinct values.
        var names = new List<string>(4);
        var values = new List<List<string>>(4);
        Add(names, values, ByFieldName, ByFieldValue);
        Add(names, values, OverFieldName, OverFieldValue);
        Add(names, values, PartitionFieldName, PartitionFieldValue);
        if (Influencers is not null)
        {
            foreach (var inf in Influencers)
            {
                foreach (var v in inf.InfluencerFieldValues)
                {
                    Add(names, values, inf.InfluencerFieldName, v);
                }
            }
        }

        for (var i = 0; i < names.Count; i++)
        {
            w.WriteStartArray(names[i]);
            foreach (var v in values[i])
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
        }
    }

    private static void Add(List<string> names, List<List<string>> values, string? name, string? value)
    {
        if (string.IsNullOrEmpty(name) || value is null || !ResultJson.IsValidExtraField(name))
        {
            return;
        }

        var at = names.IndexOf(name);
        if (at < 0)
        {
            names.Add(name);
            values.Add([value]);
        }
        else if (!values[at].Contains(value))
        {
            values[at].Add(value);
        }
    }

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
