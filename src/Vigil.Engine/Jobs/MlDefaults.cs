using Vigil.Engine.Configuration;

namespace Vigil.Engine.Jobs;

/// <summary>Defaults reported by <c>GET _ml/info</c>.</summary>
public static class MlDefaults
{
    /// <summary>The default categorization analyzer, as JSON (what a job without filters gets).</summary>
    public static string CategorizationAnalyzerJson { get; } =
        ConfigParsers.StandardAnalyzerWithFilters([]).CustomJson ?? "{}";
}
