using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>One entry of a record's <c>influencers</c>: a field and the values that influenced the anomaly.</summary>
/// <param name="InfluencerFieldName">Influencer field name.</param>
/// <param name="InfluencerFieldValues">Values, most influential first.</param>
public sealed record RecordInfluence(string InfluencerFieldName, IReadOnlyList<string> InfluencerFieldValues)
{
    /// <summary>Writes the ES JSON object.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("influencer_field_name", InfluencerFieldName);
        w.WriteStartArray("influencer_field_values");
        for (var i = 0; i < InfluencerFieldValues.Count; i++)
        {
            w.WriteStringValue(InfluencerFieldValues[i]);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
