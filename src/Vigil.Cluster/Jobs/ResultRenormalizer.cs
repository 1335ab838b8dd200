using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Configuration;
using Vigil.Storage;

namespace Vigil.Cluster.Jobs;

/// <summary>What one renormalization pass did.</summary>
/// <param name="Examined">Final buckets, records and influencers read in the window.</param>
/// <param name="Updated">Results whose stored score(s) were rewritten.</param>
internal readonly record struct RenormalizationCounts(int Examined, int Updated);

/// <summary>
/// Renormalizes a job's stored results: rescores the final buckets, records and influencers of a time window
/// against the job's current normalizers and rewrites those whose normalized score changed enough.
/// </summary>
/// <remarks>
/// <para>Implementation note: mirrors Elasticsearch's <c>ScoresUpdater</c>. The window ends at the end of the last
/// finalized bucket and spans <c>renormalization_window_days</c>, by default the longer of 30 days and 100 bucket
/// spans. Interim results are left alone. Only the normalized scores change (<c>anomaly_score</c> of the bucket and
/// of its bucket influencers, <c>record_score</c>, <c>influencer_score</c>); the <c>initial_*</c> scores never do.
/// A score is replaced when <see cref="ResultNormalizers.IsBigUpdate"/> says the change is big; a bucket's
/// <c>anomaly_score</c> then becomes the largest <c>anomaly_score</c> of its bucket influencers (Elasticsearch's
/// <c>BucketNormalizable.setMaxChildrenScore</c>), so a bucket can be rewritten although none of its bucket
/// influencers is. Records and influencers written before the store kept their normalizer scope are skipped.</para>
/// <para>Cost: one read of the window's final results and one transaction with the rewritten ones.</para>
/// </remarks>
internal static class ResultRenormalizer
{
    /// <summary>Elasticsearch's default window floor: 30 days.</summary>
    private const long DefaultWindowMs = 30L * 86_400_000L;

    /// <summary>Elasticsearch's default window in bucket spans (when longer than 30 days).</summary>
    private const long DefaultWindowBuckets = 100;

    /// <summary>Longest wall-clock time between passes while buckets are being finalized (ml-cpp's base maximum quantile interval).</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(6);

    /// <summary>A pass waits at least this many times the previous pass's duration (passes take at most ~10% of the time).</summary>
    public const double DutyFactor = 9.0;

    /// <summary>
    /// Whether a pass runs now: on a big change (<paramref name="bigChange"/>, kept while held back) or when
    /// <see cref="MaxInterval"/> has passed; a big change waits until <see cref="DutyFactor"/> times the previous
    /// pass's duration has passed, unless the request settles the results (flush, close).
    /// </summary>
    public static bool ShouldRun(bool bigChange, TimeSpan sinceLast, TimeSpan lastCost, bool settle)
    {
        if (sinceLast >= MaxInterval)
        {
            return true;
        }

        return bigChange && (settle || sinceLast >= DutyFactor * lastCost);
    }

    /// <summary>The job's renormalization window in ms.</summary>
    public static long WindowMs(JobConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.RenormalizationWindowDays is { } days)
        {
            return days * 86_400_000L;
        }

        return Math.Max(DefaultWindowMs, DefaultWindowBuckets * config.AnalysisConfig.BucketSpan.TotalMilliseconds);
    }

    /// <summary>
    /// One pass, for running off the job's turn: returns how long it took. A failure is logged and leaves the stored
    /// scores as they were, as Elasticsearch's renormalizer does.
    /// </summary>
    public static async Task<TimeSpan> TimedPassAsync(IResultStore store, string jobId, ResultNormalizers normalizers, long start,
        long end, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var began = time.GetUtcNow();
        try
        {
            var counts = await RunAsync(store, jobId, normalizers, start, end).ConfigureAwait(false);
            logger.LogDebug("Job {JobId}: renormalization of [{Start}, {End}) examined {Examined} results and updated {Updated}",
                jobId, start, end, counts.Examined, counts.Updated);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: renormalization failed", jobId);
        }

        return time.GetUtcNow() - began;
    }

    /// <summary>Renormalizes the job's final results with <paramref name="start"/> ≤ timestamp &lt; <paramref name="end"/>.</summary>
    public static async Task<RenormalizationCounts> RunAsync(IResultStore store, string jobId, ResultNormalizers normalizers,
        long start, long end, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(normalizers);
        var updates = new List<ScoreUpdate>();
        var examined = 0;
        var buffer = new ArrayBufferWriter<byte>(1024);

        await foreach (var row in store.ReadFinalAsync(jobId, "bucket", start, end, cancellationToken).ConfigureAwait(false))
        {
            examined++;
            var document = JsonNode.Parse(row.Document)!.AsObject();
            if (RescoreBucket(document, normalizers, out var score))
            {
                updates.Add(new ScoreUpdate(row.ResultType, row.Id, score, Write(document, buffer)));
            }
        }

        await foreach (var row in store.ReadFinalAsync(jobId, "record", start, end, cancellationToken).ConfigureAwait(false))
        {
            examined++;
            if (row.NormalizerFeature is not { } feature || row.NormalizerScope is not { } scope)
            {
                continue;
            }

            // Only the few top-level fields are read; the document is parsed into nodes only when it is rewritten.
            var fields = TopLevel.Read(row.Document, "record_score"u8);
            if (normalizers.TryRecordScore(fields.DetectorIndex, feature, scope, fields.Probability, row.NormalizerFamily ?? 1, out var score)
                && ResultNormalizers.IsBigUpdate(fields.Score, score))
            {
                var document = JsonNode.Parse(row.Document)!.AsObject();
                document["record_score"] = score;
                updates.Add(new ScoreUpdate(row.ResultType, row.Id, score, Write(document, buffer)));
            }
        }

        await foreach (var row in store.ReadFinalAsync(jobId, "influencer", start, end, cancellationToken).ConfigureAwait(false))
        {
            examined++;
            if (row.NormalizerScope is not { } scope)
            {
                continue;
            }

            var fields = TopLevel.Read(row.Document, "influencer_score"u8);
            if (fields.InfluencerFieldName is { } field
                && normalizers.TryInfluencerScore(field, scope, fields.Probability, row.NormalizerFamily ?? 1, out var score)
                && ResultNormalizers.IsBigUpdate(fields.Score, score))
            {
                var document = JsonNode.Parse(row.Document)!.AsObject();
                document["influencer_score"] = score;
                updates.Add(new ScoreUpdate(row.ResultType, row.Id, score, Write(document, buffer)));
            }
        }

        var updated = await store.UpdateScoresAsync(jobId, updates, cancellationToken).ConfigureAwait(false);
        return new RenormalizationCounts(examined, updated);
    }

    /// <summary>
    /// Rescores a bucket document in place: each bucket influencer whose score changed enough, then the bucket's
    /// score as the largest of them. Returns whether anything changed, and the bucket's score.
    /// </summary>
    internal static bool RescoreBucket(JsonObject bucket, ResultNormalizers normalizers, out double bucketScore)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(normalizers);
        bucketScore = (double)bucket["anomaly_score"]!;
        if (bucket["bucket_influencers"] is not JsonArray influencers || influencers.Count == 0)
        {
            return false;
        }

        var changed = false;
        var max = 0.0;
        foreach (var node in influencers)
        {
            var influencer = node!.AsObject();
            var old = (double)influencer["anomaly_score"]!;
            var current = old;
            if (normalizers.TryBucketInfluencerScore((string)influencer["influencer_field_name"]!,
                    (double)influencer["raw_anomaly_score"]!, (double)influencer["probability"]!, out var score)
                && ResultNormalizers.IsBigUpdate(old, score))
            {
                influencer["anomaly_score"] = score;
                current = score;
                changed = true;
            }

            max = Math.Max(max, current);
        }

        if (max != bucketScore)
        {
            bucket["anomaly_score"] = max;
            bucketScore = max;
            changed = true;
        }

        return changed;
    }

    /// <summary>The top-level fields renormalization reads from a record or influencer document.</summary>
    /// <param name="Score">The normalized score field asked for.</param>
    /// <param name="Probability"><c>probability</c>.</param>
    /// <param name="DetectorIndex"><c>detector_index</c> (records), or −1.</param>
    /// <param name="InfluencerFieldName"><c>influencer_field_name</c> (influencers), or null.</param>
    private readonly record struct TopLevel(double Score, double Probability, int DetectorIndex, string? InfluencerFieldName)
    {
        /// <summary>Reads the fields with a forward-only reader, skipping nested objects and arrays.</summary>
        public static TopLevel Read(ReadOnlySpan<byte> json, ReadOnlySpan<byte> scoreName)
        {
            var reader = new Utf8JsonReader(json);
            double score = 0, probability = 1;
            var detector = -1;
            string? field = null;
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isScore = reader.ValueTextEquals(scoreName);
                var isProbability = reader.ValueTextEquals("probability"u8);
                var isDetector = reader.ValueTextEquals("detector_index"u8);
                var isField = reader.ValueTextEquals("influencer_field_name"u8);
                reader.Read();
                if (isScore)
                {
                    score = reader.GetDouble();
                }
                else if (isProbability)
                {
                    probability = reader.GetDouble();
                }
                else if (isDetector)
                {
                    detector = reader.GetInt32();
                }
                else if (isField)
                {
                    field = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            return new TopLevel(score, probability, detector, field);
        }
    }

    private static byte[] Write(JsonObject document, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            document.WriteTo(w);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
