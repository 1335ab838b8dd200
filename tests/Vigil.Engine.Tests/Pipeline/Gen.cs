using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

internal static class Gen
{
    public const long SpanMs = 600_000;
    public const long Start = 1_700_000_400_000; // aligned to 10 minutes

    public static double Normal(Random r, double mean, double sd)
    {
        var u1 = 1.0 - r.NextDouble();
        var u2 = r.NextDouble();
        return mean + (sd * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static int Poisson(Random r, double lambda)
    {
        var l = Math.Exp(-lambda);
        var k = 0;
        var p = 1.0;
        do
        {
            k++;
            p *= r.NextDouble();
        }
        while (p > l);
        return k - 1;
    }

    public static AnalysisSpec Spec(
        string function, string? field, string? by, string? partition, string[] fields, string[]? influencers = null,
        bool useNull = false, string? summary = null, bool plot = false, long latencyMs = 0) =>
        new(
            "job-1",
            SpanMs,
            latencyMs,
            [new DetectorSpec(0, function, field, by, null, partition, useNull, null, function)],
            influencers ?? [],
            summary,
            fields,
            plot);
}
