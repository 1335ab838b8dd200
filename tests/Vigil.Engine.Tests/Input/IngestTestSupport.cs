using System.Text;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Input;

namespace Vigil.Engine.Tests.Input;

/// <summary>A clock the test sets.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>One record as the sink saw it (copied).</summary>
internal sealed record SeenRecord(long TimeMs, string?[] Values, double?[] Numbers);

/// <summary>Copies every record it receives (tests only; allocates).</summary>
internal sealed class CollectingSink : IRecordSink
{
    public List<SeenRecord> Records { get; } = [];

    public void OnRecord(long timeMs, scoped in RecordFields fields)
    {
        var values = new string?[fields.Count];
        var numbers = new double?[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            values[i] = fields.IsMissing(i) ? null : Encoding.UTF8.GetString(fields.Utf8(i));
            numbers[i] = fields.TryGetNumber(i, out var d) ? d : null;
        }

        Records.Add(new SeenRecord(timeMs, values, numbers));
    }
}

/// <summary>Counts records and touches every value without allocating.</summary>
internal sealed class NoopSink : IRecordSink
{
    public long Count;
    public double Sum;

    public void OnRecord(long timeMs, scoped in RecordFields fields)
    {
        Count++;
        for (var i = 0; i < fields.Count; i++)
        {
            if (fields.TryGetNumber(i, out var v))
            {
                Sum += v;
            }
        }
    }
}

/// <summary>Builds a job (schema + tracker + reader) for tests.</summary>
internal sealed class TestJob : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public TestJob(
        string[] analysisFields,
        string timeFormat = "epoch",
        long bucketSpanMs = 3_600_000,
        long latencyMs = 0,
        string timeField = "time",
        DataCountsSnapshot? restored = null,
        int maxRecordBytes = NdjsonRecordReader.DefaultMaxRecordBytes)
    {
        Schema = new IngestSchema(timeField, timeFormat, analysisFields, bucketSpanMs, latencyMs);
        Clock = new ManualTimeProvider(Now);
        Tracker = new DataCountsTracker(Schema, analysisFields.Length + 1, restored, Clock);
        Sink = new CollectingSink();
        Reader = new NdjsonRecordReader(Schema, TimeFormat.Create(timeFormat, Clock), Tracker, Sink, maxRecordBytes);
    }

    public IngestSchema Schema { get; }

    public ManualTimeProvider Clock { get; }

    public DataCountsTracker Tracker { get; }

    public CollectingSink Sink { get; }

    public NdjsonRecordReader Reader { get; }

    /// <summary>Posts a whole body in one chunk and finishes the upload.</summary>
    public DataCountsSnapshot Post(string body) => Post(Encoding.UTF8.GetBytes(body));

    public DataCountsSnapshot Post(byte[] body, int chunkSize = int.MaxValue)
    {
        Tracker.BeginUpload();
        for (var i = 0; i < body.Length; i += chunkSize)
        {
            Reader.Feed(body.AsSpan(i, Math.Min(chunkSize, body.Length - i)));
        }

        Reader.Complete();
        return Tracker.FinishUpload();
    }

    public void Dispose() => Reader.Dispose();
}
