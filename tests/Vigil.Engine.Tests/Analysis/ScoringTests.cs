using System.Buffers;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;

namespace Vigil.Engine.Tests.Analysis;

public sealed class ScoringTests
{
    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.05, 0.0)]
    [InlineData(1e-4, 1.0)]
    [InlineData(1e-50, 50.0)]
    [InlineData(2.2250738585072014e-308, 100.0)]
    public void RawScore_matches_the_ml_cpp_knots(double p, double expected)
    {
        Assert.Equal(expected, RawScore.FromProbability(p), 6);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(3e-7)]
    [InlineData(1e-90)]
    public void RawScore_inverse_round_trips(double p)
    {
        var back = RawScore.ToProbability(RawScore.FromProbability(p));
        Assert.Equal(Math.Log(p), Math.Log(back), 6);
    }

    [Fact]
    public void Aggregator_of_one_record_keeps_its_probability()
    {
        var aggregator = new BucketScoreAggregator();
        aggregator.Add(1e-6);
        Assert.Equal(1e-6, aggregator.Probability, 12);
        Assert.Equal(RawScore.FromProbability(1e-6), aggregator.RawScoreValue, 9);
        aggregator.Reset();
        aggregator.Add(0.2);
        Assert.Equal(0.0, aggregator.RawScoreValue);
    }

    [Fact]
    public void Aggregator_combines_records_between_the_smallest_and_their_product()
    {
        var aggregator = new BucketScoreAggregator();
        aggregator.Add(1e-6);
        aggregator.Add(0.5);
        aggregator.Add(0.9);
        var p = aggregator.Probability;
        Assert.True(p > 1e-6 && p < 1e-3, $"p = {p}");
    }

    [Fact]
    public void Normalizer_gives_the_largest_anomaly_a_high_score_only_when_probability_is_tiny()
    {
        var normalizer = new ScoreNormalizer(300);
        var random = new Random(3);
        for (var i = 0; i < 3000; i++)
        {
            var p = random.NextDouble();
            normalizer.Update(0, p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0);
        }

        var big = RawScore.FromProbability(1e-30);
        normalizer.Update(0, big);
        Assert.InRange(normalizer.Normalize(0, big, 1e-30), 95.0, 100.0);

        // The absolute-probability ceiling: p = 0.01 can never score more than about 30.
        var small = RawScore.FromProbability(0.01);
        Assert.InRange(normalizer.Normalize(0, small, 0.01), 0.0, 30.5);
        Assert.Equal(0.0, normalizer.Normalize(0, 0.0, 0.5));
    }

    [Fact]
    public void Normalizer_takes_the_absolute_ceiling_on_the_family_wise_probability_of_the_bucket()
    {
        var normalizer = new ScoreNormalizer(3600);
        for (var i = 0; i < 2000; i++)
        {
            normalizer.Update(1, 0.0, i / 9);
        }

        var chance = RawScore.FromProbability(2.6e-3);
        normalizer.Update(0, chance, 2000 / 9);

        // Alone, p = 2.6e-3 is a minor anomaly (about 50); as the smallest of nine series' probabilities it is
        // what chance gives one bucket in 43, and stays below 25.
        Assert.InRange(normalizer.Normalize(0, chance, 2.6e-3), 49.0, 51.0);
        Assert.InRange(normalizer.Normalize(0, chance, 2.6e-3, family: 9), 10.0, 25.0);

        // A probability far below 1/N keeps its score: the family barely moves it.
        var tiny = RawScore.FromProbability(1e-12);
        Assert.Equal(normalizer.Normalize(0, tiny, 1e-12), normalizer.Normalize(0, tiny, 1e-12, family: 10_000));
        Assert.Equal(9e-12, ScoreNormalizer.FamilyProbability(1e-12, 9), 15);
        Assert.Equal(1 - Math.Pow(1 - 0.01, 9), ScoreNormalizer.FamilyProbability(0.01, 9), 12);
        Assert.Equal(0.01, ScoreNormalizer.FamilyProbability(0.01, 1));
    }

    [Fact]
    public void Normalizer_scores_relative_to_the_scope_maximum()
    {
        var normalizer = new ScoreNormalizer(300);
        for (var i = 0; i < 500; i++)
        {
            normalizer.Update(0, 0);
        }

        var large = RawScore.FromProbability(1e-80);
        var medium = RawScore.FromProbability(1e-20);
        normalizer.Update(0, large);
        for (var i = 0; i < 6; i++)
        {
            normalizer.Update(0, 0);
        }

        normalizer.Update(0, medium);
        var scoreLarge = normalizer.Normalize(0, large, 1e-80);
        var scoreMedium = normalizer.Normalize(0, medium, 1e-20);
        Assert.True(scoreMedium < scoreLarge, $"{scoreMedium} vs {scoreLarge}, ceiling {100 * Math.Min(1.5 * (medium / large), 0.5 + 0.5 * (medium / large))}");
        var r = medium / normalizer.ScopeMaximum(0);
        Assert.InRange(normalizer.ScopeMaximum(0), 0.99 * large, large);
        Assert.True(scoreMedium <= 100 * Math.Min(1.5 * r, 0.5 + 0.5 * r) + 1e-9);
    }

    [Fact]
    public void Normalizer_save_and_load_keep_scores()
    {
        var normalizer = new ScoreNormalizer(600);
        var random = new Random(4);
        for (var i = 0; i < 2000; i++)
        {
            normalizer.Update(i % 3, RawScore.FromProbability(Math.Pow(random.NextDouble(), 3)));
        }

        var buffer = new ArrayBufferWriter<byte>();
        normalizer.Save(buffer);
        var restored = ScoreNormalizer.Load(buffer.WrittenSpan, 600);
        for (var i = 0; i < 200; i++)
        {
            var raw = RawScore.FromProbability(Math.Pow(random.NextDouble(), 4));
            normalizer.Update(1, raw);
            restored.Update(1, raw);
            Assert.Equal(normalizer.Normalize(1, raw, RawScore.ToProbability(raw)), restored.Normalize(1, raw, RawScore.ToProbability(raw)));
        }
    }

    [Theory]
    [InlineData(2.0, 10, 0.07338803)]
    [InlineData(4.0, 5, 0.01032308)]
    [InlineData(1.0, 30, 0.32530861)]
    public void Student_t_two_sided_tail_matches_reference_values(double t, double nu, double expected)
    {
        Assert.Equal(expected, Math.Exp(SpecialFunctions.LogStudentTwoSidedTail(t, nu)), 5);
    }

    [Fact]
    public void Student_t_finite_series_for_integer_nu_agrees_with_the_continued_fraction()
    {
        // Integer ν takes the finite series (down to tails of 1e-6); ν + 1e-9 takes the continued fraction. Measured
        // worst difference in ln p: 2.6e-10 (ν = 29, t ≈ 6.1, where the series hands over).
        for (var nu = 1; nu <= 30; nu++)
        {
            for (var t = 0.001; t < 80; t *= 1.05)
            {
                var series = SpecialFunctions.LogStudentTwoSidedTail(t, nu);
                var fraction = SpecialFunctions.LogStudentTwoSidedTail(t, nu + 1e-9);
                Assert.True(Math.Abs(series - fraction) < 1e-8, $"nu {nu}, t {t}: {series} vs {fraction}");
            }
        }

        Assert.Equal(Math.Log(1 - (2 / Math.PI * Math.Atan(3.0))), SpecialFunctions.LogStudentTwoSidedTail(3, 1), 12);
        Assert.Equal(Math.Log(1 - (3 / Math.Sqrt(11.0))), SpecialFunctions.LogStudentTwoSidedTail(3, 2), 12);
    }

    [Fact]
    public void Far_tails_stay_finite_in_log_space()
    {
        var log = SpecialFunctions.LogStudentTwoSidedTail(1e6, 5);
        Assert.True(double.IsFinite(log) && log < -60);
        Assert.Equal(-1.959964, SpecialFunctions.NormalQuantileFromLog(Math.Log(0.025)), 4);
        Assert.True(SpecialFunctions.NormalQuantileFromLog(-2000) < -60);
    }

    [Fact]
    public void Joint_probability_of_quiet_features_is_one_and_impact_is_bounded()
    {
        Assert.Equal(0.0, SeriesModelStore.JointLogProbability(0, 0));
        Assert.True(SeriesModelStore.JointLogProbability(Math.Log(1e-8), 0) < Math.Log(1e-6));
        Assert.Equal(5.0, SeriesModelStore.MultiBucketImpact(Math.Log(0.5), Math.Log(1e-12)));
        Assert.Equal(-5.0, SeriesModelStore.MultiBucketImpact(Math.Log(1e-12), Math.Log(0.5)));
    }
}
