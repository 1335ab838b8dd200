using Vigil.Engine.Analysis.Scoring;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>The normalizer's clock runs in buckets, whatever the number of results per bucket.</summary>
public sealed class NormalizerClockTests
{
    [Fact]
    public void Many_results_per_bucket_keep_scope_maxima_and_sketch_from_one_bucket_to_the_next()
    {
        const int Scopes = 10_000;
        var normalizer = new ScoreNormalizer(600);
        for (long bucket = 1; bucket <= 3; bucket++)
        {
            for (var s = 0; s < Scopes; s++)
            {
                normalizer.Update(s, s == 7 && bucket == 1 ? 10.0 : 0.0, bucket);
            }
        }

        // Two buckets later scope 7 still remembers its maximum (decayed by two buckets, not by 20,000 updates)...
        Assert.InRange(normalizer.ScopeMaximum(7), 9.9, 10.0);

        // ...and the sketch holds every score of the three buckets.
        Assert.InRange(normalizer.SketchWeight, 3 * Scopes * 0.99, 3 * Scopes);
    }

    [Fact]
    public void Scope_maximum_is_forgotten_after_50_buckets_without_a_score()
    {
        var normalizer = new ScoreNormalizer(600);
        normalizer.Update(3, 10.0, 1);
        normalizer.Update(3, 1.0, 40);
        Assert.True(normalizer.ScopeMaximum(3) > 9);
        normalizer.Update(3, 1.0, 92);
        Assert.Equal(1.0, normalizer.ScopeMaximum(3));
    }

    [Fact]
    public void Normalize_reads_the_same_score_before_and_after_the_cumulative_cache_is_rebuilt()
    {
        var normalizer = new ScoreNormalizer(300);
        var random = new Random(4);
        for (long bucket = 0; bucket < 500; bucket++)
        {
            normalizer.Update(0, random.NextDouble() < 0.9 ? 0.0 : RawScore.FromProbability(random.NextDouble() * 0.03), bucket);
        }

        var first = normalizer.Normalize(0, 2.0, RawScore.ToProbability(2.0));
        var second = normalizer.Normalize(0, 2.0, RawScore.ToProbability(2.0));
        Assert.Equal(first, second);
        normalizer.Update(0, 5.0, 500); // a larger score: the rank of 2.0 falls and the scope maximum grows
        Assert.True(normalizer.Normalize(0, 2.0, RawScore.ToProbability(2.0)) < first);
    }
}
