namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Result of scoring one bucket value of one series, before the model learned from it.
/// </summary>
/// <param name="Scored">False while the series is in warm-up (minimum data gate); probabilities are then 1.</param>
/// <param name="Probability">Joint probability of the single-bucket and multi-bucket features (ES <c>probability</c>).</param>
/// <param name="SingleBucketProbability">Probability of the bucket value alone.</param>
/// <param name="MultiBucketProbability">Probability of the multi-bucket feature (geometric mean of recent residuals).</param>
/// <param name="Actual">The bucket value as given.</param>
/// <param name="Typical">Model prediction for the bucket (ES <c>typical</c>).</param>
/// <param name="LowerBound">Lower end of the 95% prediction interval.</param>
/// <param name="UpperBound">Upper end of the 95% prediction interval.</param>
/// <param name="MultiBucketImpact">ES <c>multi_bucket_impact</c> in [−5, 5].</param>
/// <param name="AnomalyType">Spike or dip, relative to typical.</param>
public readonly record struct SeriesResult(
    bool Scored,
    double Probability,
    double SingleBucketProbability,
    double MultiBucketProbability,
    double Actual,
    double Typical,
    double LowerBound,
    double UpperBound,
    double MultiBucketImpact,
    AnomalyType AnomalyType);
