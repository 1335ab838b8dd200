using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Tests.Pipeline;
using static Vigil.Engine.Tests.Analysis.SeriesGenerator;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>Seasonal periods other than daily and weekly: found online from the value history, modelled, strict.</summary>
public sealed class SeasonalPeriodTests
{
    private const long Minute = 60_000;
    private const long Hour = 3_600_000;

    /// <summary>Test series with a period that is neither a day, a week nor a divisor of a day.</summary>
    public enum Shape
    {
        /// <summary>A spike of +20 every 100 one-minute buckets (a 100-minute job), base 10, noise sd 1.</summary>
        Spike100Minutes,

        /// <summary>A 7-hour sine cycle (amplitude 10) in one-hour buckets.</summary>
        Sine7Hours,

        /// <summary>A 36-hour sawtooth (rises 30 over the cycle, then drops) in one-hour buckets.</summary>
        Sawtooth36Hours,

        /// <summary>A 52-minute square wave (±8) in one-minute buckets.</summary>
        Square52Minutes,

        /// <summary>A 3-day cycle (a multiple of a day, which the daily test cannot take) in one-hour buckets.</summary>
        Plateau3Days,
    }

    private static (long SpanMs, int Period, int Buckets) Setup(Shape shape) => shape switch
    {
        Shape.Spike100Minutes => (Minute, 100, 2_000),
        Shape.Sine7Hours => (Hour, 7, 600),
        Shape.Sawtooth36Hours => (Hour, 36, 900),
        Shape.Square52Minutes => (Minute, 52, 1_200),
        Shape.Plateau3Days => (Hour, 72, 1_300),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>The clean cycle at bucket <paramref name="i"/>.</summary>
    private static double Cycle(Shape shape, int i)
    {
        var (_, period, _) = Setup(shape);
        var phase = i % period;
        return shape switch
        {
            Shape.Spike100Minutes => phase == 37 ? 30 : 10,
            Shape.Sine7Hours => 50 + (10 * Math.Sin(2 * Math.PI * phase / period)),
            Shape.Sawtooth36Hours => 20 + (30.0 * phase / period),
            Shape.Square52Minutes => phase < 26 ? 58 : 42,
            _ => phase < 24 ? 80 : 50,
        };
    }

    /// <summary>A bucket that breaks the cycle: the spike missing, or a value of the opposite phase.</summary>
    private static double Break(Shape shape, int i)
    {
        var (_, period, _) = Setup(shape);
        return shape == Shape.Spike100Minutes ? 10 : Cycle(shape, i + (period / 2));
    }

    /// <summary>
    /// Where to break the cycle in the last part of the run: at a phase where the break differs most, the one nearest
    /// the middle of the cycle among equals (away from the cycle's edges, which recur at one time of day for the
    /// 3-day cycle, where the time-of-day outlier model has learnt that surprises happen).
    /// </summary>
    private static int BreakAt(Shape shape, int buckets)
    {
        var (_, period, _) = Setup(shape);
        var from = buckets - (2 * period);
        var middle = from + (period / 2);
        var best = from;
        var bestGap = 0.0;
        for (var i = from; i < buckets - period; i++)
        {
            var gap = Math.Abs(Break(shape, i) - Cycle(shape, i));
            if (gap > bestGap + 1e-9 || (gap > bestGap - 1e-9 && Math.Abs(i - middle) < Math.Abs(best - middle)))
            {
                best = i;
                bestGap = Math.Max(gap, bestGap);
            }
        }

        return best;
    }

    [Theory]
    [InlineData(Shape.Spike100Minutes)]
    [InlineData(Shape.Sine7Hours)]
    [InlineData(Shape.Sawtooth36Hours)]
    [InlineData(Shape.Square52Minutes)]
    [InlineData(Shape.Plateau3Days)]
    public void A_series_with_an_arbitrary_period_gets_the_component_and_its_break_is_the_top_bucket(Shape shape)
    {
        var (spanMs, period, buckets) = Setup(shape);
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = spanMs });
        var without = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = spanMs, DetectOtherPeriods = false });
        var s = store.Add();
        without.Add();
        var random = new Random(31 + (int)shape);
        var breakAt = BreakAt(shape, buckets);
        var lastCycles = buckets - (3 * period);
        double sqWith = 0, sqWithout = 0;
        var atBreak = default(SeriesResult);
        var minP = double.MaxValue;
        var minAt = -1;
        var acceptedAt = -1;
        for (var i = 0; i < buckets; i++)
        {
            var t = SeriesGenerator.Start + (i * spanMs);
            var x = (i == breakAt ? Break(shape, i) : Cycle(shape, i)) + Gaussian(random);
            var a = store.ScoreThenUpdate(s, t, x, 1, Tail.TwoSided);
            var b = without.ScoreThenUpdate(s, t, x, 1, Tail.TwoSided);
            if (acceptedAt < 0 && store.IsPeriodic(s))
            {
                acceptedAt = i;
            }

            if (i >= lastCycles && i != breakAt)
            {
                sqWith += (x - a.Typical) * (x - a.Typical);
                sqWithout += (x - b.Typical) * (x - b.Typical);
            }

            if (i == breakAt)
            {
                atBreak = a;
            }

            if (i >= lastCycles && a.Probability < minP)
            {
                minP = a.Probability;
                minAt = i;
            }
        }

        Assert.True(store.IsPeriodic(s), $"{shape}: no period found");
        Assert.Equal(period * spanMs, store.SeasonalPeriodMs(s));
        Assert.True(acceptedAt < breakAt - (3 * period), $"{shape}: accepted only at bucket {acceptedAt}");
        var count = buckets - lastCycles - 1;
        var rmsWith = Math.Sqrt(sqWith / count);
        var rmsWithout = Math.Sqrt(sqWithout / count);

        // The predictions follow the cycle: residuals near the noise (sd 1) and well below those of the model
        // without the component.
        Assert.True(rmsWith < 1.3, $"{shape}: rms residual {rmsWith:F2} with the component");
        Assert.True(rmsWith < 0.6 * rmsWithout, $"{shape}: rms residual {rmsWith:F2} with, {rmsWithout:F2} without");
        Assert.Equal(breakAt, minAt);
        Assert.True(minP < 1e-3, $"{shape}: break scored p = {minP:E2}, {atBreak}, rms {rmsWith:F2}, accepted at {acceptedAt}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Noise_random_walk_and_one_off_excursions_get_no_component(int seed)
    {
        foreach (var spanMs in new[] { Minute, 5 * Minute, Hour })
        {
            var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = spanMs });
            var noise = store.Add();
            var walk = store.Add();
            var spike = store.Add();
            var bump = store.Add();
            var ar = store.Add();
            var heavy = store.Add();
            var random = new Random(seed);
            var level = 100.0;
            var arValue = 0.0;
            const int Buckets = 3_000;
            for (var i = 0; i < Buckets; i++)
            {
                var t = SeriesGenerator.Start + (i * spanMs);
                store.ScoreThenUpdate(noise, t, 5 + Gaussian(random), 1, Tail.TwoSided);
                level += Gaussian(random);
                store.ScoreThenUpdate(walk, t, level, 1, Tail.TwoSided);
                store.ScoreThenUpdate(spike, t, 20 + Gaussian(random) + (i == 400 + seed ? 60 : 0), 1, Tail.TwoSided);
                store.ScoreThenUpdate(bump, t, 20 + Gaussian(random) + (i is >= 300 and < 330 ? 15 : 0), 1, Tail.TwoSided);
                arValue = (0.9 * arValue) + Gaussian(random);
                store.ScoreThenUpdate(ar, t, 50 + arValue, 1, Tail.TwoSided);
                store.ScoreThenUpdate(heavy, t, 50 + StudentT(random, 3), 1, Tail.TwoSided);
            }

            foreach (var (name, s) in new[] { ("noise", noise), ("walk", walk), ("spike", spike), ("bump", bump), ("ar", ar), ("heavy", heavy) })
            {
                Assert.False(store.IsSeasonal(s), $"{name} at span {spanMs / Minute} min found period {store.SeasonalPeriodMs(s) / Minute} min");
            }
        }
    }

    [Fact]
    public void A_daily_cycle_in_hourly_buckets_stays_a_daily_component()
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = Hour });
        var s = store.Add();
        var random = new Random(12);
        for (var i = 0; i < 24 * 30; i++)
        {
            var x = 50 + (10 * Math.Sin(2 * Math.PI * (i % 24) / 24.0)) + (5 * Math.Cos(2 * Math.PI * (i % 8) / 8.0)) + Gaussian(random);
            store.ScoreThenUpdate(s, SeriesGenerator.Start + (i * Hour), x, 1, Tail.TwoSided);
        }

        Assert.True(store.IsSeasonal(s));
        Assert.False(store.IsPeriodic(s));
        Assert.Equal(86_400_000L, store.SeasonalPeriodMs(s));
    }

    [Fact]
    public void A_daily_cycle_in_four_hour_buckets_is_found_by_the_period_test()
    {
        // The daily test needs at least 12 buckets a day; the period test takes over for longer spans.
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = 4 * Hour });
        var s = store.Add();
        var random = new Random(13);
        for (var i = 0; i < 6 * 40; i++)
        {
            var x = 50 + (10 * Math.Sin(2 * Math.PI * (i % 6) / 6.0)) + Gaussian(random);
            store.ScoreThenUpdate(s, SeriesGenerator.Start + (i * 4 * Hour), x, 1, Tail.TwoSided);
        }

        Assert.True(store.IsPeriodic(s));
        Assert.Equal(86_400_000L, store.SeasonalPeriodMs(s));
    }

    [Fact]
    public void Save_then_Load_with_a_non_daily_period_gives_identical_scores()
    {
        var options = new SeriesModelOptions { BucketSpanMs = Hour };
        var store = new SeriesModelStore(options);
        var periodic = store.Add();
        var plain = store.Add();
        var random = new Random(41);
        var i = 0;
        for (; i < 400; i++)
        {
            Feed(store, periodic, plain, i, random);
        }

        Assert.True(store.IsPeriodic(periodic));
        Assert.Equal(7 * Hour, store.SeasonalPeriodMs(periodic));
        Assert.False(store.IsSeasonal(plain));
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var restored = SeriesModelStore.Load(buffer.WrittenSpan, options);
        Assert.True(restored.IsPeriodic(periodic));
        Assert.Equal(store.ModelBytes, restored.ModelBytes);

        var randomA = new Random(42);
        var randomB = new Random(42);
        for (; i < 700; i++)
        {
            var t = SeriesGenerator.Start + (i * Hour);
            var xa = SevenHour(i, randomA);
            var xb = SevenHour(i, randomB);
            Assert.Equal(store.ScoreThenUpdate(periodic, t, xa, 1, Tail.TwoSided), restored.ScoreThenUpdate(periodic, t, xb, 1, Tail.TwoSided));
            var ya = 5 + Gaussian(randomA);
            var yb = 5 + Gaussian(randomB);
            Assert.Equal(store.ScoreThenUpdate(plain, t, ya, 1, Tail.TwoSided), restored.ScoreThenUpdate(plain, t, yb, 1, Tail.TwoSided));
        }
    }

    [Fact]
    public void A_version_4_snapshot_loads_and_its_series_start_a_history()
    {
        var options = new SeriesModelOptions { BucketSpanMs = Hour };
        var store = new SeriesModelStore(options);
        var periodic = store.Add();
        var plain = store.Add();
        var random = new Random(43);
        var i = 0;

        // Both series are young: the 7-hour cycle has not been tested yet when the snapshot is taken.
        for (; i < 40; i++)
        {
            Feed(store, periodic, plain, i, random);
        }

        Assert.False(store.IsSeasonal(periodic));
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var v4 = SnapshotVersions.ToVersion4(buffer.WrittenSpan.ToArray(), 2, store.BytesPerSeriesColumns);
        Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(v4.AsSpan(4)));
        var restored = SeriesModelStore.Load(v4, options);
        for (; i < 500; i++)
        {
            Feed(restored, periodic, plain, i, random);
        }

        Assert.True(restored.IsPeriodic(periodic));
        Assert.Equal(7 * Hour, restored.SeasonalPeriodMs(periodic));
        Assert.False(restored.IsSeasonal(plain));
    }

    [Fact]
    public void History_and_periodic_profile_blocks_keep_a_series_within_budget()
    {
        var store = new SeriesModelStore(new SeriesModelOptions { BucketSpanMs = Minute });

        // Non-seasonal: columns, the daily test block and the value history. With another period: columns and
        // the profile (the test block and history are freed).
        Assert.True(store.BytesPerSeriesColumns + SeriesModelStore.TestBlockBytes + SeriesModelStore.HistoryBlockBytes <= 1400);
        Assert.True(store.BytesPerSeriesColumns + store.PeriodicProfileBlockBytes <= 2048);
    }

    [Theory]
    [InlineData(true)] // a 7-hour cycle: columns and the periodic profile (history and daily test freed)
    [InlineData(false)] // noise: columns, the daily test block and the value history
    public void Whole_job_model_bytes_per_series_stay_within_2_KB(bool periodic)
    {
        const int Series = 200;
        var spec = new AnalysisSpec(
            "m", Hour, 0, [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean")], [], null, ["v", "p"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new Pipeline.CollectingSink();
        var random = new Random(9);
        var rec = new TestRecord(2);
        var names = new string[Series];
        for (var s = 0; s < Series; s++)
        {
            names[s] = "series-" + s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var b = 0; b < 24 * 30; b++)
        {
            var t = SeriesGenerator.Start + (b * Hour);
            for (var s = 0; s < Series; s++)
            {
                var x = periodic ? SevenHour(b + s, random) : 50 + Gaussian(random);
                pipeline.OnRecord(t + s, rec.Clear().Num(0, x).Str(1, names[s]).Fields);
            }

            pipeline.CloseBucket(t, sink);
            sink.Clear();
        }

        var store = pipeline.Detectors[0].Stores[0];
        if (periodic)
        {
            Assert.True(store.PeriodicCount >= Series * 9 / 10, $"only {store.PeriodicCount} of {Series} series found the 7-hour period");
        }
        else
        {
            Assert.Equal(0, store.SeasonalCount);
        }

        var perSeries = pipeline.ModelBytes / (double)Series;
        Assert.True(perSeries <= (periodic ? 2048 : 1700), $"{perSeries:F0} bytes per series");
    }

    [Fact]
    public void Periods_found_while_scoring_on_several_threads_give_the_same_results_as_one_thread()
    {
        const int Series = DetectorState.ParallelSeriesThreshold + 500;
        var spec = new AnalysisSpec(
            "p", Hour, 0, [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean")], ["p"], null, ["v", "p"], false);
        var single = new AnomalyDetectorPipeline(spec) { ScoringThreads = 1 };
        var parallel = new AnomalyDetectorPipeline(spec) { ScoringThreads = 4 };
        var a = new Pipeline.CollectingSink();
        var b = new Pipeline.CollectingSink();
        FeedMany(single, a, Series);
        FeedMany(parallel, b, Series);

        var periodic = single.Detectors[0].Stores[0].PeriodicCount;
        Assert.True(periodic >= Series / 3, $"only {periodic} series found the 7-hour period");
        Assert.Equal(periodic, parallel.Detectors[0].Stores[0].PeriodicCount);
        Assert.Contains(a.Records, r => r.ByFieldValue == "p76" && r.Timestamp == SeriesGenerator.Start + (132 * Hour));
        Assert.Equal(RecordsJson(a), RecordsJson(b));
        Assert.Equal(single.ModelBytes, parallel.ModelBytes);
    }

    private static void FeedMany(AnomalyDetectorPipeline pipeline, Pipeline.CollectingSink sink, int series)
    {
        var random = new Random(5);
        var rec = new TestRecord(2);
        var names = new string[series];
        for (var s = 0; s < series; s++)
        {
            names[s] = "p" + s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        for (var bucket = 0; bucket < 136; bucket++)
        {
            var start = SeriesGenerator.Start + (bucket * Hour);
            for (var s = 0; s < series; s++)
            {
                // Even series follow a 7-hour cycle (p76 breaks it in bucket 132), odd ones are noise.
                var x = s % 2 == 0 ? SevenHour(bucket + s, random) : 50 + Gaussian(random);
                if (s == 76 && bucket == 132)
                {
                    x = SevenHour(bucket + s + 3, random);
                }

                pipeline.OnRecord(start + s, rec.Clear().Num(0, x).Str(1, names[s]).Fields);
            }

            pipeline.CloseBucket(start, sink);
        }
    }

    private static string RecordsJson(Pipeline.CollectingSink sink)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var r in sink.Records)
            {
                r.WriteTo(w, false);
            }

            w.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Feed(SeriesModelStore store, int periodic, int plain, int i, Random random)
    {
        var t = SeriesGenerator.Start + (i * Hour);
        store.ScoreThenUpdate(periodic, t, SevenHour(i, random), 1, Tail.TwoSided);
        store.ScoreThenUpdate(plain, t, 5 + Gaussian(random), 1, Tail.TwoSided);
    }

    private static double SevenHour(int i, Random random) => 50 + (10 * Math.Sin(2 * Math.PI * (i % 7) / 7.0)) + Gaussian(random);
}
