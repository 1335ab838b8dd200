using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A <c>lat_long</c> record's <c>geo_results</c>: points as <c>"lat,lon"</c> strings.</summary>
/// <param name="ActualPoint">The bucket's mean position.</param>
/// <param name="TypicalPoint">The model's typical position.</param>
public sealed record GeoResults(string? ActualPoint, string? TypicalPoint)
{
    /// <summary>Writes the ES JSON object.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        if (ActualPoint is not null)
        {
            w.WriteString("actual_point", ActualPoint);
        }

        if (TypicalPoint is not null)
        {
            w.WriteString("typical_point", TypicalPoint);
        }

        w.WriteEndObject();
    }
}
