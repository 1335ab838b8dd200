using System.Text;
using BenchmarkDotNet.Attributes;
using Vigil.Engine.Input;
using Vigil.Engine.Pipeline;
using Vigil.Engine.Results;

namespace Vigil.Benchmarks.Pipeline;

/// <summary>Prebuilt records of <c>mean(responsetime) by airline</c>: one slot pair per airline over one text buffer.</summary>
internal sealed class AirlineRecords
{
    public const long SpanMs = 600_000;
    public const long Start = 1_700_000_400_000;

    private readonly FieldSlot[] _slots;
    private readonly byte[] _text;

    public AirlineRecords(int airlines)
    {
        Airlines = airlines;
        _slots = new FieldSlot[airlines * 2];
        var text = new List<byte>();
        var random = new Random(17);
        for (var a = 0; a < airlines; a++)
        {
            var value = 100 + random.Next(0, 50);
            var valueText = Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _slots[2 * a] = new FieldSlot { Kind = FieldKind.Number, Offset = text.Count, Length = valueText.Length, Number = value };
            text.AddRange(valueText);
            var name = Encoding.UTF8.GetBytes("airline-" + a.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _slots[(2 * a) + 1] = new FieldSlot { Kind = FieldKind.String, Offset = text.Count, Length = name.Length };
            text.AddRange(name);
        }

        _text = [.. text];
    }

    public int Airlines { get; }

    public static AnalysisSpec Spec() => new(
        "bench",
        SpanMs,
        0,
        [new DetectorSpec(0, "mean", "responsetime", "airline", null, null, false, null, "mean(responsetime) by airline")],
        [],
        null,
        ["responsetime", "airline"],
        false);

    /// <summary>Record of airline <paramref name="a"/> (value perturbed by <paramref name="jitter"/>).</summary>
    public RecordFields Record(int a, double jitter)
    {
        _slots[2 * a].Number = 100 + (a % 50) + jitter;
        return new RecordFields(_slots.AsSpan(2 * a, 2), _text);
    }
}

/// <summary>A sink that only counts.</summary>
internal sealed class CountingSink : IResultSink
{
    public long Buckets;
    public long Records;

    public void OnBucket(BucketDocument bucket) => Buckets++;

    public void OnRecord(RecordDocument record) => Records++;

    public void OnInfluencer(InfluencerDocument influencer)
    {
    }

    public void OnModelPlot(ModelPlotDocument plot)
    {
    }
}

/// <summary><c>OnRecord</c> throughput for <c>mean(responsetime) by airline</c> with 10,000 airlines (existing series).</summary>
[MemoryDiagnoser]
public class PipelineOnRecordBenchmark
{
    private const int RecordsPerInvoke = 1_000_000;
    private AirlineRecords _records = null!;
    private AnomalyDetectorPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _records = new AirlineRecords(10_000);
        _pipeline = new AnomalyDetectorPipeline(AirlineRecords.Spec());
        for (var a = 0; a < _records.Airlines; a++)
        {
            _pipeline.OnRecord(AirlineRecords.Start, _records.Record(a, 0));
        }
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public void OnRecord()
    {
        var n = _records.Airlines;
        var a = 0;
        for (var i = 0; i < RecordsPerInvoke; i++)
        {
            _pipeline.OnRecord(AirlineRecords.Start + (i & 0xFFFF), _records.Record(a, i & 7));
            if (++a == n)
            {
                a = 0;
            }
        }
    }
}

/// <summary>
/// <c>CloseBucket</c> time with 100,000 warmed-up series (one record per series per bucket), on one thread and
/// with the pipeline's default (one scoring thread per processor).
/// </summary>
[MemoryDiagnoser]
public class PipelineCloseBucketBenchmark
{
    /// <summary>Scoring threads: 1, or 0 for the pipeline's default (the processor count).</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    private AirlineRecords _records = null!;
    private AnomalyDetectorPipeline _pipeline = null!;
    private readonly CountingSink _sink = new();
    private long _bucket;
    private Random _random = null!;

    [GlobalSetup]
    public void Setup()
    {
        _records = new AirlineRecords(100_000);
        _pipeline = new AnomalyDetectorPipeline(AirlineRecords.Spec());
        if (Threads > 0)
        {
            _pipeline.ScoringThreads = Threads;
        }

        _random = new Random(5);

        // Past the 8-bucket / 2-hour warm-up gate so every series is scored.
        for (_bucket = 0; _bucket < 16; _bucket++)
        {
            Fill();
            _pipeline.CloseBucket(AirlineRecords.Start + (_bucket * AirlineRecords.SpanMs), _sink);
        }
    }

    [IterationSetup]
    public void Fill()
    {
        var start = AirlineRecords.Start + (_bucket * AirlineRecords.SpanMs);
        for (var a = 0; a < _records.Airlines; a++)
        {
            _pipeline.OnRecord(start + a, _records.Record(a, _random.NextDouble() * 4));
        }
    }

    [Benchmark]
    [InvocationCount(1)]
    public void CloseBucket()
    {
        _pipeline.CloseBucket(AirlineRecords.Start + (_bucket * AirlineRecords.SpanMs), _sink);
        _bucket++;
    }
}

/// <summary>
/// <c>mean(value)</c> on one series, end to end in the engine: 1,000 records per ten-minute bucket, each bucket
/// closed (scored, model updated, results written to a counting sink) as the next one starts.
/// </summary>
[MemoryDiagnoser]
public class PipelineSingleSeriesBenchmark
{
    private const int RecordsPerInvoke = 1_000_000;
    private const int RecordsPerBucket = 1_000;
    private readonly CountingSink _sink = new();
    private readonly FieldSlot[] _slot = new FieldSlot[1];
    private readonly byte[] _text = "100"u8.ToArray();
    private AnomalyDetectorPipeline _pipeline = null!;
    private long _bucket;
    private Random _random = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pipeline = new AnomalyDetectorPipeline(new AnalysisSpec(
            "bench-single",
            AirlineRecords.SpanMs,
            0,
            [new DetectorSpec(0, "mean", "value", null, null, null, false, null, "mean(value)")],
            [],
            null,
            ["value"],
            false));
        _random = new Random(3);
        _slot[0] = new FieldSlot { Kind = FieldKind.Number, Offset = 0, Length = _text.Length };
        Run(100_000);
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public void OnRecordAndClose() => Run(RecordsPerInvoke);

    private void Run(int records)
    {
        for (var i = 0; i < records; i++)
        {
            var start = AirlineRecords.Start + (_bucket * AirlineRecords.SpanMs);
            _slot[0].Number = 100 + (_random.NextDouble() * 10);
            _pipeline.OnRecord(start + (i % RecordsPerBucket), new RecordFields(_slot, _text));
            if ((i + 1) % RecordsPerBucket == 0)
            {
                _pipeline.CloseBucket(start, _sink);
                _bucket++;
            }
        }
    }
}

/// <summary>
/// Interim results (<c>_flush?calc_interim=true</c>) of the open bucket with 100,000 warmed-up series, on one thread and
/// with the pipeline's default: a score-only pass (models read, normalizers in interim mode), to compare with
/// <see cref="PipelineCloseBucketBenchmark"/> (it used to save and restore the whole scoring state: 437 ms, 624 MB).
/// </summary>
[MemoryDiagnoser]
public class PipelineInterimBenchmark
{
    /// <summary>Scoring threads: 1, or 0 for the pipeline's default (the processor count).</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    private AirlineRecords _records = null!;
    private AnomalyDetectorPipeline _pipeline = null!;
    private readonly CountingSink _sink = new();
    private long _bucket;

    [GlobalSetup]
    public void Setup()
    {
        _records = new AirlineRecords(100_000);
        _pipeline = new AnomalyDetectorPipeline(AirlineRecords.Spec());
        if (Threads > 0)
        {
            _pipeline.ScoringThreads = Threads;
        }

        var random = new Random(5);
        for (_bucket = 0; _bucket < 17; _bucket++)
        {
            var start = AirlineRecords.Start + (_bucket * AirlineRecords.SpanMs);
            for (var a = 0; a < _records.Airlines; a++)
            {
                _pipeline.OnRecord(start + a, _records.Record(a, random.NextDouble() * 4));
            }

            if (_bucket < 16)
            {
                _pipeline.CloseBucket(start, _sink);
            }
        }
    }

    [Benchmark]
    public void EmitInterim() => _pipeline.EmitInterim(AirlineRecords.Start + (16 * AirlineRecords.SpanMs), _sink);
}
