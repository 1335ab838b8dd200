using System.Buffers;
using System.Buffers.Binary;
using Vigil.Engine.Analysis.Modeling;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

public sealed class SeriesModelStoreTests
{
    private static SeriesModelOptions Options => new() { BucketSpanMs = FiveMinutes };

    private static double Value(int series, int i, Random random) =>
        series % 2 == 0
            ? 50 + 10 * Math.Sin(2 * Math.PI * (i % 288) / 288.0) + Gaussian(random)
            : 100 + 3 * Gaussian(random) + (i == 3000 + series ? 40 : 0);

    [Fact]
    public void Add_returns_dense_ids_from_zero()
    {
        var store = new SeriesModelStore(Options);
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(i, store.Add());
        }

        Assert.Equal(40, store.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Save_then_Load_gives_identical_scores(bool allOptionalParts)
    {
        var options = allOptionalParts
            ? Options with
            {
                LogErrorModel = true,
                TailCalibration = true,
                LearnMultiBucketSpread = true,
                InnovationModel = true,
                AnomalyCharacteristics = true,
            }
            : Options;
        var store = new SeriesModelStore(options);
        const int Series = 6;
        for (var s = 0; s < Series; s++)
        {
            store.Add();
        }

        var random = new Random(5);
        for (var i = 0; i < 2500; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                store.ScoreThenUpdate(s, Start + i * FiveMinutes, Value(s, i, random), 1, Tail.TwoSided);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var restored = SeriesModelStore.Load(buffer.WrittenSpan, options);
        Assert.Equal(store.Count, restored.Count);
        Assert.Equal(store.SeasonalCount, restored.SeasonalCount);
        Assert.True(store.SeasonalCount > 0, "the test should cover a seasonal series");

        var randomA = new Random(6);
        var randomB = new Random(6);
        for (var i = 2500; i < 3600; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                var a = store.ScoreThenUpdate(s, Start + i * FiveMinutes, Value(s, i, randomA), 1, Tail.TwoSided);
                var b = restored.ScoreThenUpdate(s, Start + i * FiveMinutes, Value(s, i, randomB), 1, Tail.TwoSided);
                Assert.Equal(a, b);
            }
        }
    }

    [Fact]
    public void Load_accepts_a_version_2_snapshot_without_the_pending_shift_column()
    {
        var store = new SeriesModelStore(Options);
        const int Series = 3;
        for (var s = 0; s < Series; s++)
        {
            store.Add();
        }

        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                store.ScoreThenUpdate(s, Start + i * FiveMinutes, 100 + SeriesGenerator.Gaussian(random), 1, Tail.TwoSided);
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);

        // A version 2 snapshot is version 4 without the pending-shift column (the 20th, after 19 double columns).
        var v3 = SnapshotVersions.ToVersion4(buffer.WrittenSpan.ToArray(), Series, store.BytesPerSeriesColumns);
        var shiftAt = 24 + (19 * sizeof(double) * Series);
        var v2 = new byte[v3.Length - (sizeof(double) * Series)];
        v3.AsSpan(0, shiftAt).CopyTo(v2);
        v3.AsSpan(shiftAt + (sizeof(double) * Series)).CopyTo(v2.AsSpan(shiftAt));
        BinaryPrimitives.WriteInt32LittleEndian(v2.AsSpan(4), 2);
        var restored = SeriesModelStore.Load(v2, Options);

        var randomA = new Random(8);
        var randomB = new Random(8);
        for (var i = 300; i < 400; i++)
        {
            for (var s = 0; s < Series; s++)
            {
                var a = store.ScoreThenUpdate(s, Start + i * FiveMinutes, 100 + SeriesGenerator.Gaussian(randomA), 1, Tail.TwoSided);
                var b = restored.ScoreThenUpdate(s, Start + i * FiveMinutes, 100 + SeriesGenerator.Gaussian(randomB), 1, Tail.TwoSided);
                Assert.Equal(a, b);
            }
        }
    }

    [Fact]
    public void Load_rejects_a_snapshot_with_a_different_bucket_span()
    {
        var store = new SeriesModelStore(Options);
        store.Add();
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        Assert.Throws<InvalidDataException>(() => SeriesModelStore.Load(buffer.WrittenSpan, new SeriesModelOptions { BucketSpanMs = 60_000 }));
        Assert.Throws<InvalidDataException>(() => SeriesModelStore.Load(new byte[8], Options));
    }

    [Fact]
    public void Probability_of_a_bucket_does_not_depend_on_later_data()
    {
        var random = new Random(7);
        var values = new double[1500];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = 20 + Gaussian(random);
        }

        var altered = (double[])values.Clone();
        for (var i = 1000; i < altered.Length; i++)
        {
            altered[i] += 50;
        }

        var a = new SeriesModelStore(Options);
        var b = new SeriesModelStore(Options);
        a.Add();
        b.Add();
        for (var i = 0; i < values.Length; i++)
        {
            var ra = a.ScoreThenUpdate(0, Start + i * FiveMinutes, values[i], 1, Tail.TwoSided);
            var rb = b.ScoreThenUpdate(0, Start + i * FiveMinutes, altered[i], 1, Tail.TwoSided);
            if (i < 1000)
            {
                Assert.Equal(ra, rb);
            }
            else if (i == 1000)
            {
                Assert.True(rb.Probability < 1e-6 && ra.Probability > 1e-3);
            }
        }
    }

    [Fact]
    public void Warm_up_buckets_are_not_scored()
    {
        var store = new SeriesModelStore(Options);
        store.Add();
        for (var i = 0; i < 24; i++)
        {
            var r = store.ScoreThenUpdate(0, Start + i * FiveMinutes, i == 20 ? 1e6 : 1.0 + 0.01 * i, 1, Tail.TwoSided);
            Assert.False(r.Scored);
            Assert.Equal(1.0, r.Probability);
        }

        Assert.True(store.ScoreThenUpdate(0, Start + 24 * FiveMinutes, 1.3, 1, Tail.TwoSided).Scored);
    }

    [Fact]
    public void High_tail_ignores_dips_and_low_tail_ignores_spikes()
    {
        var random = new Random(8);
        var high = new SeriesModelStore(Options);
        var low = new SeriesModelStore(Options);
        high.Add();
        low.Add();
        for (var i = 0; i < 600; i++)
        {
            var v = 10 + Gaussian(random);
            high.ScoreThenUpdate(0, Start + i * FiveMinutes, v, 1, Tail.High);
            low.ScoreThenUpdate(0, Start + i * FiveMinutes, v, 1, Tail.Low);
        }

        var t = Start + 600 * FiveMinutes;
        Assert.Equal(1.0, high.ScoreThenUpdate(0, t, -20, 1, Tail.High).SingleBucketProbability);
        Assert.True(low.ScoreThenUpdate(0, t, -20, 1, Tail.Low).SingleBucketProbability < 1e-6);
    }

    [Fact]
    public void Result_reports_typical_bounds_and_direction()
    {
        var random = new Random(9);
        var store = new SeriesModelStore(Options);
        store.Add();
        for (var i = 0; i < 600; i++)
        {
            store.ScoreThenUpdate(0, Start + i * FiveMinutes, 10 + Gaussian(random), 1, Tail.TwoSided);
        }

        var r = store.ScoreThenUpdate(0, Start + 600 * FiveMinutes, 30, 1, Tail.TwoSided);
        Assert.InRange(r.Typical, 9.5, 10.5);
        Assert.InRange(r.LowerBound, 7.0, 8.5);
        Assert.InRange(r.UpperBound, 11.5, 13.0);
        Assert.Equal(AnomalyType.Spike, r.AnomalyType);
        Assert.Equal(30, r.Actual);
        Assert.InRange(r.MultiBucketImpact, -5, 5);
        Assert.True(r.Probability < 1e-10);
    }

    [Fact]
    public void Daily_seasonality_is_accepted_and_random_walk_is_not()
    {
        var store = new SeriesModelStore(Options);
        var seasonal = store.Add();
        var walk = store.Add();
        var noise = store.Add();
        var random = new Random(10);
        var level = 0.0;
        for (var i = 0; i < 288 * 14; i++)
        {
            var t = Start + i * FiveMinutes;
            store.ScoreThenUpdate(seasonal, t, 50 + 10 * Math.Sin(2 * Math.PI * (i % 288) / 288.0) + Gaussian(random), 1, Tail.TwoSided);
            level += Gaussian(random);
            store.ScoreThenUpdate(walk, t, level, 1, Tail.TwoSided);
            store.ScoreThenUpdate(noise, t, 5 + Gaussian(random), 1, Tail.TwoSided);
        }

        Assert.True(store.IsSeasonal(seasonal));
        Assert.False(store.IsSeasonal(walk));
        Assert.False(store.IsSeasonal(noise));
    }

    [Fact]
    public void Model_bytes_stay_within_budget()
    {
        var store = new SeriesModelStore(Options);
        // Non-seasonal: columns + daily test block. Daily seasonal: columns + profile + the test
        // block kept for the weekly test. Weekly seasonal: columns + weekly profile.
        Assert.True(store.BytesPerSeriesColumns + SeriesModelStore.TestBlockBytes <= 1024);
        Assert.True(store.BytesPerSeriesColumns + store.DailyProfileBlockBytes + SeriesModelStore.TestBlockBytes <= 2048);
        Assert.True(store.BytesPerSeriesColumns + store.WeeklyProfileBlockBytes <= 2048);
    }

    [Fact]
    public void Score_then_update_allocates_nothing()
    {
        var store = new SeriesModelStore(Options);
        for (var s = 0; s < 64; s++)
        {
            store.Add();
        }

        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            for (var s = 0; s < 64; s++)
            {
                store.ScoreThenUpdate(s, Start + i * FiveMinutes, Value(s, i, random), 1, Tail.TwoSided);
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 2000; i < 2300; i++)
        {
            for (var s = 0; s < 64; s++)
            {
                store.ScoreThenUpdate(s, Start + i * FiveMinutes, Value(s, i, random), 1, Tail.TwoSided);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
