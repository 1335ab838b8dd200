using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Input;

namespace Vigil.Benchmarks.Ingest;

/// <summary>
/// Parse + count + bucket diagnostics of a farequote-like NDJSON upload for a
/// <c>mean(responsetime) by airline</c> job (epoch_ms, 5m buckets), fed in 64 KiB chunks as the server does.
/// Records/second = <see cref="RecordCount"/> / mean time.
/// </summary>
[MemoryDiagnoser]
public class NdjsonIngestBenchmarks
{
    /// <summary>Records per upload.</summary>
    public const int RecordCount = 100_000;

    private const int ChunkSize = 64 * 1024;
    private static readonly string[] Airlines =
    [
        "AAL", "ACA", "AMX", "ASA", "AWE", "BAW", "DAL", "EGF", "FFT", "JAL", "JBU", "JZA", "KLM", "NKS", "SWA", "SWR", "TRS", "UAL", "VRD",
    ];

    private byte[] _body = [];
    private IngestSchema _schema = null!;
    private TimeFormat _timeFormat = null!;
    private CountingSink _sink = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20140623);
        var sb = new StringBuilder(RecordCount * 72);
        var time = 1403481600000L;
        for (var i = 0; i < RecordCount; i++)
        {
            time += random.Next(0, 250); // ~1200 records per 5m bucket, non-decreasing
            sb.Append("{\"time\":").Append(time.ToString(CultureInfo.InvariantCulture))
                .Append(",\"airline\":\"").Append(Airlines[random.Next(Airlines.Length)])
                .Append("\",\"responsetime\":")
                .Append((random.NextDouble() * 1000).ToString("0.####", CultureInfo.InvariantCulture))
                .Append("}\n");
        }

        _body = Encoding.UTF8.GetBytes(sb.ToString());
        _schema = new IngestSchema("time", "epoch_ms", ["airline", "responsetime"], 300_000, 0);
        _timeFormat = TimeFormat.Create("epoch_ms");
        _sink = new CountingSink();

        // The harness must time a working path: one upload has to process every record.
        var processed = Upload().ProcessedRecordCount;
        if (processed != RecordCount)
        {
            throw new InvalidOperationException($"expected {RecordCount} processed records, got {processed}");
        }
    }

    /// <summary>One fresh job (tracker) per upload so every record is in order and processed.</summary>
    [Benchmark(OperationsPerInvoke = RecordCount)]
    public long ParseCountDiagnose() => Upload().ProcessedRecordCount;

    private DataCountsSnapshot Upload()
    {
        var tracker = new DataCountsTracker(_schema, 3, null, TimeProvider.System);
        using var reader = new NdjsonRecordReader(_schema, _timeFormat, tracker, _sink);
        tracker.BeginUpload();
        var body = _body;
        for (var i = 0; i < body.Length; i += ChunkSize)
        {
            reader.Feed(body.AsSpan(i, Math.Min(ChunkSize, body.Length - i)));
        }

        reader.Complete();
        return tracker.FinishUpload();
    }

    private sealed class CountingSink : IRecordSink
    {
        public double Sum;

        public void OnRecord(long timeMs, scoped in RecordFields fields)
        {
            if (fields.TryGetNumber(1, out var v))
            {
                Sum += v;
            }
        }
    }
}
