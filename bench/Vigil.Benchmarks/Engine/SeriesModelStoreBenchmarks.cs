using BenchmarkDotNet.Attributes;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Benchmarks.Engine;

/// <summary>
/// Per-bucket cost of the series models: one bucket close over 100,000 series, and a stream of
/// values through one series. Series are warmed up past the minimum-data gate first.
/// </summary>
[MemoryDiagnoser]
public class SeriesModelStoreBenchmarks
{
    private const int ManySeries = 100_000;
    private const int StreamLength = 100_000;
    private const long Span = 300_000;
    private const long Start = 1_400_000_000_000 - 1_400_000_000_000 % 86_400_000;

    private SeriesModelStore _many = null!;
    private SeriesModelStore _one = null!;
    private double[] _noise = null!;
    private long _manyBucket;
    private long _oneBucket;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _noise = new double[1 << 16];
        for (var i = 0; i < _noise.Length; i++)
        {
            _noise[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }

        var options = new SeriesModelOptions { BucketSpanMs = Span };
        _many = new SeriesModelStore(options);
        for (var s = 0; s < ManySeries; s++)
        {
            _many.Add();
        }

        for (_manyBucket = 0; _manyBucket < 48; _manyBucket++)
        {
            CloseBucket();
        }

        _one = new SeriesModelStore(options);
        _one.Add();
        for (_oneBucket = 0; _oneBucket < 3000; _oneBucket++)
        {
            _one.ScoreThenUpdate(0, Start + _oneBucket * Span, Value(0, _oneBucket), 1, Tail.TwoSided);
        }

        Console.WriteLine($"// model bytes: {_many.ModelBytes / (double)ManySeries:F0} B/series over {ManySeries} series");
    }

    private double Value(int series, long bucket) =>
        100 + 10 * (series & 7) + 3 * _noise[(int)((bucket * 7919 + series) & (_noise.Length - 1))];

    /// <summary>Scores and updates every one of 100,000 series for one bucket.</summary>
    [Benchmark]
    public double CloseBucket()
    {
        var t = Start + _manyBucket++ * Span;
        var sum = 0.0;
        for (var s = 0; s < ManySeries; s++)
        {
            sum += _many.ScoreThenUpdate(s, t, Value(s, _manyBucket), 1, Tail.TwoSided).Probability;
        }

        return sum;
    }

    /// <summary>Scores and updates one series with 100,000 consecutive bucket values.</summary>
    [Benchmark(OperationsPerInvoke = StreamLength)]
    public double OneSeriesStream()
    {
        var sum = 0.0;
        for (var i = 0; i < StreamLength; i++)
        {
            var b = _oneBucket++;
            sum += _one.ScoreThenUpdate(0, Start + b * Span, Value(0, b), 1, Tail.TwoSided).Probability;
        }

        return sum;
    }
}
