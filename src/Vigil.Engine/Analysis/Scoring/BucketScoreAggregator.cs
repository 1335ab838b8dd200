namespace Vigil.Engine.Analysis.Scoring;

/// <summary>
/// Combines the record probabilities of one bucket into the bucket's probability and raw score
/// (ES bucket <c>anomaly_score</c> before normalization).
/// </summary>
/// <remarks>
/// Implementation note: mirrors ml-cpp <c>CAnomalyScore::compute</c> with the detector-level
/// weights (joint 0.5, extreme 0.5, m = 1): the joint probability of the n record probabilities is
/// P(χ²₂ₙ &gt; −2 Σ ln pᵢ) and the extreme probability is that of the smallest of n,
/// 1 − (1 − p_min)ⁿ. If both exceed 0.035 the bucket probability is their weighted geometric
/// mean; otherwise the raw score is 0.8·(0.5·s(p_joint) + 0.5·s(p_ext)). Our own implementation.
/// Use one instance per job; it allocates nothing per bucket.
/// </remarks>
public sealed class BucketScoreAggregator
{
    private double _sumLog;
    private double _minP = 1.0;
    private int _n;

    /// <summary>Starts a new bucket.</summary>
    public void Reset()
    {
        _sumLog = 0;
        _minP = 1.0;
        _n = 0;
    }

    /// <summary>Adds the probability of one record (series result) of the bucket.</summary>
    public void Add(double probability)
    {
        var p = Math.Clamp(probability, double.Epsilon, 1.0);
        _sumLog += Math.Log(p);
        _minP = Math.Min(_minP, p);
        _n++;
    }

    /// <summary>Number of records added since <see cref="Reset"/>.</summary>
    public int Count => _n;

    /// <summary>Smallest record probability of the bucket.</summary>
    public double MinimumProbability => _minP;

    /// <summary>The bucket's combined probability (1 for an empty bucket).</summary>
    public double Probability
    {
        get
        {
            if (_n == 0)
            {
                return 1.0;
            }

            var joint = JointProbability();
            var extreme = ExtremeProbability();
            if (joint > RawScore.MaximumAnomalousProbability && extreme > RawScore.MaximumAnomalousProbability)
            {
                return Math.Sqrt(joint * extreme);
            }

            var raw = 0.5 * RawScore.FromProbability(joint) + 0.5 * RawScore.FromProbability(extreme);
            return RawScore.ToProbability(raw);
        }
    }

    /// <summary>The bucket's raw score (0 when the bucket probability exceeds 0.035).</summary>
    public double RawScoreValue
    {
        get
        {
            var p = Probability;
            return p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
        }
    }

    private double JointProbability()
    {
        if (_n == 1)
        {
            return Math.Exp(_sumLog);
        }

        // Q(n, x) = e^-x Σ_{k<n} x^k / k!, with x = −Σ ln p, summed in log space.
        var x = -_sumLog;
        if (x <= 0)
        {
            return 1.0;
        }

        var logX = Math.Log(x);
        var maxLog = 0.0;
        var logTerm = 0.0;
        for (var k = 1; k < _n; k++)
        {
            logTerm += logX - Math.Log(k);
            maxLog = Math.Max(maxLog, logTerm);
        }

        var sum = 0.0;
        logTerm = 0.0;
        sum += Math.Exp(-maxLog);
        for (var k = 1; k < _n; k++)
        {
            logTerm += logX - Math.Log(k);
            sum += Math.Exp(logTerm - maxLog);
        }

        return Math.Clamp(Math.Exp(-x + maxLog + Math.Log(sum)), double.Epsilon, 1.0);
    }

    private double ExtremeProbability()
    {
        if (_n == 1)
        {
            return _minP;
        }

        // 1 − (1 − p)^n; n·p when p is so small that 1 − p rounds.
        var extreme = _minP < 1e-10 ? _n * _minP : 1.0 - Math.Pow(1.0 - _minP, _n);
        return Math.Clamp(extreme, double.Epsilon, 1.0);
    }
}
