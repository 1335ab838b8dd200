namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Special functions used by the per-series models: log-gamma, regularized incomplete beta
/// (in log space, for far tails), normal tails and their inverse. All are allocation free.
/// </summary>
internal static class SpecialFunctions
{
    /// <summary>The smallest probability the engine reports (ml-cpp clamps to DBL_MIN).</summary>
    public const double MinProbability = double.Epsilon * 1e10;

    private static readonly double[] LanczosCoefficients =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>ln B(ν/2, 1/2) for integer ν = 0..64 (index 0 unused), to keep lgamma out of the hot path.</summary>
    private static readonly double[] LogBetaHalfNu = BuildLogBetaHalfNu();
    private static readonly double[][] StudentSeries = BuildStudentSeries();

    /// <summary>
    /// Coefficients of the finite series of the Student-t distribution for integer ν ≤ 30 (Abramowitz and Stegun
    /// 26.7.3–4): with c = ν/(ν + t²), P(|T| &lt; t) = sin θ · Σ a_k c^k for even ν (a_0 = 1, a_k = a_{k−1}(2k − 1)/(2k),
    /// k &lt; ν/2), and (2/π)(θ + sin θ cos θ · Σ b_k c^k) for odd ν (b_0 = 1, b_k = b_{k−1}(2k)/(2k + 1), k &lt; (ν − 1)/2),
    /// θ = atan(t/√ν).
    /// </summary>
    private static double[][] BuildStudentSeries()
    {
        var table = new double[31][];
        for (var nu = 1; nu <= 30; nu++)
        {
            var even = nu % 2 == 0;
            var terms = even ? nu / 2 : (nu - 1) / 2;
            var a = new double[terms];
            for (var k = 0; k < terms; k++)
            {
                a[k] = k == 0 ? 1.0 : even ? a[k - 1] * (2.0 * k - 1) / (2.0 * k) : a[k - 1] * 2.0 * k / (2.0 * k + 1);
            }

            table[nu] = a;
        }

        return table;
    }

    private static double[] BuildLogBetaHalfNu()
    {
        var table = new double[65];
        for (var nu = 1; nu < table.Length; nu++)
        {
            table[nu] = LogBeta(0.5 * nu, 0.5);
        }

        table[0] = table[1];
        return table;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos approximation, g = 7).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5)
        {
            // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1.0 - x);
        }

        x -= 1.0;
        var a = LanczosCoefficients[0];
        var t = x + 7.5;
        for (var i = 1; i < 9; i++)
        {
            a += LanczosCoefficients[i] / (x + i);
        }

        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>ln B(a, b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>
    /// ln I_x(a, b), the log of the regularized incomplete beta function, accurate far into the
    /// lower tail (values down to e^-700 and below are returned as logs, never underflow).
    /// </summary>
    public static double LogIncompleteBeta(double x, double a, double b) => LogIncompleteBeta(x, a, b, LogBeta(a, b));

    /// <summary>ln I_x(a, b) with ln B(a, b) supplied by the caller.</summary>
    public static double LogIncompleteBeta(double x, double a, double b, double logBeta)
    {
        if (x <= 0)
        {
            return double.NegativeInfinity;
        }

        if (x >= 1)
        {
            return 0.0;
        }

        var logFront = a * Math.Log(x) + b * Math.Log(1 - x) - logBeta;
        if (x < (a + 1) / (a + b + 2))
        {
            return logFront + Math.Log(BetaContinuedFraction(x, a, b) / a);
        }

        // Symmetry: I_x(a,b) = 1 - I_{1-x}(b,a).
        var upper = Math.Exp(logFront) * BetaContinuedFraction(1 - x, b, a) / b;
        return Math.Log(Math.Max(1.0 - upper, MinProbability));
    }

    /// <summary>Lentz's evaluation of the incomplete beta continued fraction.</summary>
    private static double BetaContinuedFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300;
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1.0 - qab * x / qap;
        if (Math.Abs(d) < Tiny)
        {
            d = Tiny;
        }

        d = 1.0 / d;
        var h = d;
        for (var m = 1; m <= 200; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1.0 + aa * d;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1.0 + aa / c;
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1.0 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1.0 + aa * d;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1.0 + aa / c;
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1.0 / d;
            var del = d * c;
            h *= del;
            if (Math.Abs(del - 1.0) < 1e-12)
            {
                break;
            }
        }

        return h;
    }

    /// <summary>
    /// ln P(|T| &gt; t) for a Student-t variable with <paramref name="nu"/> degrees of freedom:
    /// ln I_{ν/(ν+t²)}(ν/2, 1/2).
    /// </summary>
    public static double LogStudentTwoSidedTail(double t, double nu)
    {
        t = Math.Abs(t);
        if (t == 0)
        {
            return 0.0;
        }

        var index = (int)nu;
        if (index == nu && index >= 1 && index <= 30)
        {
            // Integer ν: the finite series is about four times cheaper than the continued fraction. Its tail is
            // 1 − P(|T| < t), which loses relative precision as the tail shrinks, so below 1e-6 (relative error
            // about 1e-10 there) the continued fraction takes over.
            var d = nu + t * t;
            var c = nu / d;
            var a = StudentSeries[index];
            var sum = 0.0;
            for (var k = a.Length - 1; k >= 0; k--)
            {
                sum = sum * c + a[k];
            }

            double inside;
            if ((index & 1) == 0)
            {
                inside = t / Math.Sqrt(d) * sum;
            }
            else
            {
                var theta = Math.Atan(t / Math.Sqrt(nu));
                inside = (theta + (t * Math.Sqrt(nu) / d * sum)) * (2.0 / Math.PI);
            }

            var tail = 1.0 - inside;
            if (tail > 1e-6)
            {
                return Math.Min(0.0, Math.Log(tail));
            }
        }

        var x = nu / (nu + t * t);
        var logBeta = index == nu && index < LogBetaHalfNu.Length ? LogBetaHalfNu[index] : LogBeta(0.5 * nu, 0.5);
        return Math.Min(0.0, LogIncompleteBeta(x, 0.5 * nu, 0.5, logBeta));
    }

    /// <summary>ln P(|Z| &gt; z) for a standard normal variable, accurate in the far tail.</summary>
    public static double LogNormalTwoSidedTail(double z)
    {
        z = Math.Abs(z);
        if (z < 5)
        {
            return Math.Log(Erfc(z / Math.Sqrt(2)));
        }

        // Asymptotic series for the Mills ratio.
        var z2 = z * z;
        var series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
        return -0.5 * z2 - Math.Log(z) + Math.Log(series) + Math.Log(2 / Math.Sqrt(2 * Math.PI));
    }

    /// <summary>Complementary error function (W. J. Cody style rational approximation via erfc = 1 - erf).</summary>
    public static double Erfc(double x)
    {
        // Numerical Recipes' erfcc Chebyshev fit, relative error below 1.2e-7.
        var z = Math.Abs(x);
        var t = 1.0 / (1.0 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /// <summary>
    /// The standard normal quantile z with P(Z &lt;= z) = p, given ln p (so p may be far below
    /// the double range). Acklam's rational approximation with one Halley refinement step.
    /// </summary>
    public static double NormalQuantileFromLog(double logP)
    {
        if (logP >= 0)
        {
            return double.PositiveInfinity;
        }

        var p = Math.Exp(logP);
        const double PLow = 0.02425;
        if (p > PLow && p < 1 - PLow)
        {
            var q = p - 0.5;
            var r = q * q;
            return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
                / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1);
        }

        if (p >= 1 - PLow)
        {
            return -NormalQuantileFromLog(Math.Log(1 - p));
        }

        var qq = Math.Sqrt(-2 * logP);
        return (((((-7.784894002430293e-03 * qq - 3.223964580411365e-01) * qq - 2.400758277161838e+00) * qq
            - 2.549732539343734e+00) * qq + 4.374664141464968e+00) * qq + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * qq + 3.224671290700398e-01) * qq + 2.445134137142996e+00) * qq
            + 3.754408661907416e+00) * qq + 1);
    }

    /// <summary>ln of the upper regularized incomplete gamma Q(a, x) for integer or half-integer a ≥ 0.5 (small a only).</summary>
    public static double LogUpperGammaSmall(double a, double x)
    {
        // Q(a, x) via the series for integer a: e^-x Σ_{k<a} x^k/k!; a is 1 or 2 in our use.
        if (x <= 0)
        {
            return 0.0;
        }

        var n = (int)Math.Round(a);
        var sum = 0.0;
        var term = 1.0;
        for (var k = 0; k < n; k++)
        {
            sum += term;
            term *= x / (k + 1);
        }

        return -x + Math.Log(sum);
    }
}
