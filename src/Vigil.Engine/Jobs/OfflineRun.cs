using System.Buffers;
using Vigil.Engine.Configuration;
using Vigil.Engine.DataCounts;
using Vigil.Engine.Results;

namespace Vigil.Engine.Jobs;

/// <summary>What an offline run produced.</summary>
/// <param name="Counts">Data counts of the whole input.</param>
/// <param name="Buckets">Every finalized bucket, in time order.</param>
/// <param name="Records">Every anomaly record.</param>
/// <param name="Influencers">Every influencer result.</param>
public sealed record OfflineRunResult(
    DataCountsSnapshot Counts,
    IReadOnlyList<BucketDocument> Buckets,
    IReadOnlyList<RecordDocument> Records,
    IReadOnlyList<InfluencerDocument> Influencers);

/// <summary>
/// Runs a job over a whole input with the same engine an open job uses on the server (readers, data
/// counts, bucket clock, pipeline, scores), then finalizes the last bucket, since the input is complete.
/// </summary>
public static class OfflineRun
{
    /// <summary>Size of the chunks the input is read in.</summary>
    public const int ChunkSize = 256 * 1024;

    /// <summary>Runs <paramref name="job"/> over <paramref name="input"/>.</summary>
    /// <param name="job">The job configuration.</param>
    /// <param name="format">CSV with a header row, or NDJSON.</param>
    /// <param name="input">The data, read to its end.</param>
    /// <param name="progress">Called with the bytes read so far after each chunk; may be null.</param>
    public static OfflineRunResult Run(JobConfig job, InputFormat format, Stream input, Action<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(input);
        using var processor = new JobProcessor(JobProcessorSpecs.From(job), null, [], TimeProvider.System);
        var buckets = new List<BucketDocument>();
        var records = new List<RecordDocument>();
        var influencers = new List<InfluencerDocument>();
        void Drain()
        {
            foreach (var result in processor.DrainResults())
            {
                switch (result)
                {
                    case BucketDocument b:
                        buckets.Add(b);
                        break;
                    case RecordDocument r:
                        records.Add(r);
                        break;
                    case InfluencerDocument i:
                        influencers.Add(i);
                        break;
                }
            }
        }

        processor.BeginUpload(format);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long read = 0;
            int n;
            while ((n = input.Read(buffer, 0, ChunkSize)) > 0)
            {
                processor.Feed(buffer.AsSpan(0, n));
                read += n;
                progress?.Invoke(read);
                Drain();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var counts = processor.EndUpload();
        if (processor.Counts.Totals.LatestRecordTimestamp is { } latest)
        {
            var span = job.AnalysisConfig.BucketSpan.TotalMilliseconds;
            var lastEnd = latest - (((latest % span) + span) % span) + span;
            processor.Flush(new FlushRequest(false, null, null, lastEnd, null));
        }

        Drain();
        return new OfflineRunResult(counts, buckets, records, influencers);
    }
}
