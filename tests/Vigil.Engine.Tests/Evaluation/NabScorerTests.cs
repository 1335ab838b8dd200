using Vigil.Engine.Evaluation;

namespace Vigil.Engine.Tests.Evaluation;

public sealed class NabScorerTests
{
    private const long Minute = 60_000;

    /// <summary>A 1000-row file (probation 150 rows) with one window over rows [500, 599].</summary>
    private static NabFile File(params int[] detections)
    {
        var times = new long[1000];
        var scores = new double[1000];
        for (var i = 0; i < times.Length; i++)
        {
            times[i] = i * Minute;
        }

        foreach (var d in detections)
        {
            scores[d] = 1.0;
        }

        return new NabFile("cat/file.csv", times, scores, [(500 * Minute, 599 * Minute)]);
    }

    [Fact]
    public void Probation_is_fifteen_percent_capped_at_750_rows()
    {
        Assert.Equal(150, NabScorer.ProbationRows(1000));
        Assert.Equal(750, NabScorer.ProbationRows(10000));
    }

    [Fact]
    public void Detection_at_window_start_scores_one_true_positive()
    {
        var result = NabScorer.ScoreFile(File(500), NabProfile.Standard, 0.5);
        Assert.Equal(1.0, result.Score, 9);
        Assert.Equal(1, result.TruePositives);
        Assert.Equal(0, result.FalsePositives);
    }

    [Fact]
    public void Only_the_earliest_detection_in_a_window_counts()
    {
        var early = NabScorer.ScoreFile(File(500), NabProfile.Standard, 0.5).Score;
        var both = NabScorer.ScoreFile(File(500, 590), NabProfile.Standard, 0.5).Score;
        Assert.Equal(early, both, 12);
        var middle = NabScorer.ScoreFile(File(550), NabProfile.Standard, 0.5).Score;
        // 2σ(−5·x) − 1 at x = −0.5, divided by its value at the window start.
        var expected = (2 / (1 + Math.Exp(-2.5)) - 1) / (2 / (1 + Math.Exp(-5)) - 1);
        Assert.Equal(expected, middle, 9);
    }

    [Fact]
    public void Far_false_positive_costs_the_profile_weight_and_missed_window_costs_fn_weight()
    {
        var result = NabScorer.ScoreFile(File(300), NabProfile.Standard, 0.5);
        Assert.Equal(-0.11 - 1.0, result.Score, 9);
        Assert.Equal(1, result.FalsePositives);
        Assert.Equal(1, result.FalseNegatives);
        Assert.Equal(-0.22 - 1.0, NabScorer.ScoreFile(File(300), NabProfile.RewardLowFalsePositives, 0.5).Score, 9);
        Assert.Equal(-0.11 - 2.0, NabScorer.ScoreFile(File(300), NabProfile.RewardLowFalseNegatives, 0.5).Score, 9);
    }

    [Fact]
    public void False_positive_just_after_a_window_costs_less()
    {
        var near = NabScorer.ScoreFile(File(500, 605), NabProfile.Standard, 0.5).Score - 1.0;
        var far = NabScorer.ScoreFile(File(500, 950), NabProfile.Standard, 0.5).Score - 1.0;
        Assert.True(near > far, $"{near} vs {far}");
        Assert.Equal(-0.11, far, 9);
        Assert.True(near < 0);
    }

    [Fact]
    public void Detections_during_probation_are_ignored()
    {
        var result = NabScorer.ScoreFile(File(10, 500), NabProfile.Standard, 0.5);
        Assert.Equal(1.0, result.Score, 9);
        Assert.Equal(0, result.FalsePositives);
    }

    [Fact]
    public void Corpus_threshold_is_optimised_and_normalised_between_null_and_perfect()
    {
        // Two files: a perfect detection at 0.9 and a false positive at 0.8.
        var a = File(500);
        var b = File(300);
        b.Scores[300] = 0.8;
        var result = NabScorer.Score([a, b], NabProfile.Standard);
        // Best: threshold 0.9 → one TP (+1) and one miss (−1) = 0; null = −2, perfect = 2 → 50.
        Assert.Equal(1.0, result.Threshold);
        Assert.Equal(0.0, result.RawScore, 9);
        Assert.Equal(50.0, result.NormalizedScore, 9);

        var nothing = NabScorer.Score([File(), File()], NabProfile.Standard);
        Assert.Equal(0.0, nothing.NormalizedScore, 9);
        var perfect = NabScorer.Score([File(500), File(500)], NabProfile.Standard);
        Assert.Equal(100.0, perfect.NormalizedScore, 9);
    }
}
