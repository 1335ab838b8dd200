using System.Buffers;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>
/// The score-only entries interim results use: <see cref="SeriesModelStore.Score"/> and the interim mode of
/// <see cref="ScoreNormalizer"/> give exactly what the learning calls would, and change nothing.
/// </summary>
public sealed class ScoreOnlyTests
{
    private const long SpanMs = 600_000;
    private const long Start = 1_700_000_400_000;

    /// <summary>0: default options; 1: every optional model part; 2: the same, multi-bucket evidence without continuation.</summary>
    public static TheoryData<int> OptionSets => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Score_returns_what_ScoreThenUpdate_returns_and_writes_nothing(int optionSet)
    {
        var options = Options(optionSet, revert: true);
        var store = new SeriesModelStore(options);
        var noRevert = new SeriesModelStore(Options(optionSet, revert: false));
        const int Series = 6;
        for (var s = 0; s < Series; s++)
        {
            store.Add();
            noRevert.Add();
        }

        var random = new Random(7);
        var compared = 0;
        var revertedBuckets = 0;
        for (var b = 0; b < 3 * 144; b++)
        {
            var t = Start + (b * SpanMs);
            for (var s = 0; s < Series; s++)
            {
                var value = Value(random, s, b);
                var tail = (Tail)(s % 3);
                var before = Save(store);
                var scored = store.Score(s, t, value, 1, tail);
                Assert.Equal(before, Save(store));
                var again = store.Score(s, t, value, 1, tail);
                var learned = store.ScoreThenUpdate(s, t, value, 1, tail);
                Assert.Equal(learned, scored);
                Assert.Equal(learned, again);
                var other = noRevert.ScoreThenUpdate(s, t, value, 1, tail);
                if (other != learned)
                {
                    // The burst's return was scored against the level before the burst (a transient shift undone).
                    revertedBuckets++;
                }

                compared++;
            }
        }

        Assert.Equal(3 * 144 * Series, compared);
        Assert.True(revertedBuckets > 0, "no transient shift was undone: the data does not exercise the read-only revert");
    }

    [Fact]
    public void Score_with_a_learn_gate_that_refuses_still_matches_and_a_first_value_is_not_learned()
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = SpanMs });
        store.Add();
        var before = Save(store);
        var first = store.Score(0, Start, 5, 1, Tail.TwoSided);
        Assert.False(first.Scored);
        Assert.Equal(before, Save(store));
        Assert.Equal(first, store.ScoreThenUpdate(0, Start, 5, 1, Tail.TwoSided, (_, _) => false));
        Assert.Equal(before, Save(store));
    }

    [Fact]
    public void Interim_mode_normalizes_as_the_learning_normalizer_and_leaves_it_as_it_was()
    {
        var normalizer = new ScoreNormalizer(600);
        var random = new Random(3);
        long bucket = 0;
        for (; bucket < 300; bucket++)
        {
            Learn(normalizer, random, bucket, out _);
        }

        normalizer.TakeBigChange();
        var state = Save(normalizer);
        var twin = ScoreNormalizer.Load(state, 600);

        // The same bucket of scores: in interim mode on one, learned on the other (aging boundary included: 20·m buckets).
        for (; bucket < 330; bucket++)
        {
            var seed = (int)bucket;
            normalizer.BeginInterim(bucket);
            var interim = Learn(normalizer, new Random(seed), bucket, out var interimMax);
            Assert.True(normalizer.IsInterim);
            normalizer.EndInterim();
            Assert.Equal(state, Save(normalizer));
            Assert.False(normalizer.TakeBigChange());

            var learned = Learn(twin, new Random(seed), bucket, out var learnedMax);
            Assert.Equal(learned, interim);
            Assert.Equal(learnedMax, interimMax);
            Assert.Contains(learned, s => s > 0);

            // Keep both on the same clock for the next bucket.
            normalizer = ScoreNormalizer.Load(Save(twin), 600);
            state = Save(normalizer);
        }
    }

    [Fact]
    public void Interim_mode_refuses_a_second_bucket_and_saving()
    {
        var normalizer = new ScoreNormalizer(600);
        normalizer.Update(0, 1.0, 0);
        normalizer.BeginInterim(1);
        normalizer.Update(0, 2.0, 1);
        Assert.Throws<InvalidOperationException>(() => normalizer.Update(0, 2.0, 2));
        Assert.Throws<InvalidOperationException>(() => normalizer.Save(new ArrayBufferWriter<byte>()));
        Assert.Throws<InvalidOperationException>(() => normalizer.BeginInterim(1));
        normalizer.EndInterim();
        Assert.Equal(1.0, normalizer.ScopeMaximum(0));
    }

    /// <summary>One bucket of a detector's record normalizer: every scope learns a score, then the positive ones are normalized.</summary>
    private static List<double> Learn(ScoreNormalizer normalizer, Random random, long bucket, out double maxima)
    {
        const int Scopes = 40;
        var raws = new double[Scopes];
        for (var scope = 0; scope < Scopes; scope++)
        {
            raws[scope] = random.NextDouble() < 0.1 ? random.NextDouble() * 40 : 0.0;
            normalizer.Update(scope, raws[scope], bucket);
        }

        // A collision: scope 3 learns a second score in the bucket.
        normalizer.Update(3, 5.0, bucket);
        var scores = new List<double>();
        maxima = 0;
        for (var scope = 0; scope < Scopes; scope++)
        {
            if (raws[scope] > 0)
            {
                scores.Add(normalizer.Normalize(scope, raws[scope], Math.Exp(-raws[scope]), Scopes));
                maxima += normalizer.ScopeMaximum(scope);
            }
        }

        scores.Add(normalizer.Normalize(3, 5.0, 1e-3, Scopes));
        return scores;
    }

    private static SeriesModelOptions Options(int set, bool revert) => set > 0
        ? new SeriesModelOptions
        {
            BucketSpanMs = SpanMs,
            RevertTransientShifts = revert,
            LogErrorModel = true,
            AnomalyCharacteristics = true,
            TailCalibration = true,
            NormalScoreMultiBucket = true,
            LearnMultiBucketSpread = true,
            InnovationModel = true,
            MultiBucketNeedsContinuation = set == 1,
        }
        : new SeriesModelOptions { BucketSpanMs = SpanMs, RevertTransientShifts = revert };

    /// <summary>Daily shapes, noise, spikes, dips and short bursts (level shifts that revert), and a negative series.</summary>
    private static double Value(Random random, int s, int b)
    {
        var daily = 20 * Math.Sin(2 * Math.PI * (b % 144) / 144.0);
        var value = 100 + (s * 30) + (s % 2 == 0 ? daily : 0) + Gen.Normal(random, 0, 3);
        if (s == 5)
        {
            value -= 400;
        }

        var phase = (b + (s * 17)) % 61;
        if (phase is >= 40 and < 45)
        {
            value += 400 + (s * 40); // a burst of five buckets: the level shifts on the third, the return reverts it
        }

        if (b % 97 == s)
        {
            value -= 60;
        }

        return value;
    }

    private static byte[] Save(SeriesModelStore store)
    {
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Save(ScoreNormalizer normalizer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        normalizer.Save(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
