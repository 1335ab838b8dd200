using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>One entry of a population record's <c>causes</c>: the attribute (by value) behind the anomaly.</summary>
public sealed class AnomalyCause
{
    /// <summary>Probability.</summary>
    public double Probability { get; init; }

    /// <summary>Over field name.</summary>
    public string? OverFieldName { get; init; }

    /// <summary>Over field value.</summary>
    public string? OverFieldValue { get; init; }

    /// <summary>By field name.</summary>
    public string? ByFieldName { get; init; }

    /// <summary>By field value.</summary>
    public string? ByFieldValue { get; init; }

    /// <summary>Partition field name.</summary>
    public string? PartitionFieldName { get; init; }

    /// <summary>Partition field value.</summary>
    public string? PartitionFieldValue { get; init; }

    /// <summary>Function name.</summary>
    public string? Function { get; init; }

    /// <summary>Function description.</summary>
    public string? FunctionDescription { get; init; }

    /// <summary>Typical value(s).</summary>
    public IReadOnlyList<double>? Typical { get; init; }

    /// <summary>Actual value(s).</summary>
    public IReadOnlyList<double>? Actual { get; init; }

    /// <summary>Field name.</summary>
    public string? FieldName { get; init; }

    /// <summary>Geo results (<c>lat_long</c> only), or null.</summary>
    public GeoResults? GeoResults { get; init; }

    /// <summary>Writes the ES JSON object (field order as ES's <c>AnomalyCause.toXContent</c>).</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteNumber("probability", Probability);
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
        if (GeoResults is not null)
        {
            w.WritePropertyName("geo_results");
            GeoResults.WriteTo(w);
        }

        w.WriteEndObject();
    }

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
