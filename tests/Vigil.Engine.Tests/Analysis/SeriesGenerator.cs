namespace Vigil.Engine.Tests.Analysis;

/// <summary>Seeded synthetic series for model and scenario tests.</summary>
internal static class SeriesGenerator
{
    public const long FiveMinutes = 300_000;
    public const long Start = 1_400_000_000_000 - 1_400_000_000_000 % 86_400_000;

    public static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Student-t with <paramref name="nu"/> degrees of freedom (heavy tails).</summary>
    public static double StudentT(Random random, int nu)
    {
        var z = Gaussian(random);
        var chi = 0.0;
        for (var i = 0; i < nu; i++)
        {
            var g = Gaussian(random);
            chi += g * g;
        }

        return z / Math.Sqrt(chi / nu);
    }

    public static int Poisson(Random random, double mean)
    {
        var l = Math.Exp(-mean);
        var k = 0;
        var p = 1.0;
        do
        {
            k++;
            p *= random.NextDouble();
        }
        while (p > l);
        return k - 1;
    }

    /// <summary>A smooth daily cycle (amplitude 10 around 50) plus unit Gaussian noise.</summary>
    public static double[] DailySeasonal(int buckets, int seed)
    {
        var random = new Random(seed);
        var values = new double[buckets];
        for (var i = 0; i < buckets; i++)
        {
            var phase = 2 * Math.PI * (i % 288) / 288.0;
            values[i] = 50 + 10 * Math.Sin(phase) + 4 * Math.Cos(2 * phase) + Gaussian(random);
        }

        return values;
    }
}
