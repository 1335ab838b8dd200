namespace Vigil.Engine.Evaluation;

/// <summary>One scored NAB data file: row times, the detector's per-row scores and the labelled windows.</summary>
/// <param name="Name">Relative name, e.g. <c>realKnownCause/nyc_taxi.csv</c>.</param>
/// <param name="TimesMs">Row timestamps, epoch milliseconds, in file order.</param>
/// <param name="Scores">Detector output per row in [0, 1].</param>
/// <param name="Windows">Anomaly windows as (start, end) epoch milliseconds, inclusive, in time order.</param>
public sealed record NabFile(string Name, long[] TimesMs, double[] Scores, IReadOnlyList<(long StartMs, long EndMs)> Windows)
{
    /// <summary>What the model ended with (bucket span, seasonality), for reports.</summary>
    public string ModelSummary { get; init; } = string.Empty;

    /// <summary>Category: the part of the name before the first '/'.</summary>
    public string Category
    {
        get
        {
            var slash = Name.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? string.Empty : Name[..slash];
        }
    }
}
