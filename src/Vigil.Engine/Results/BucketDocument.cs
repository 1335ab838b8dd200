using System.Text.Json;

namespace Vigil.Engine.Results;

/// <summary>A <c>bucket</c> result: one per closed bucket (or interim bucket).</summary>
public sealed class BucketDocument
{
    /// <summary>Job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Bucket start, epoch milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>Normalized bucket score (renormalization may lower it).</summary>
    public double AnomalyScore { get; set; }

    /// <summary>Bucket span in seconds.</summary>
    public long BucketSpan { get; init; }

    /// <summary>Normalized bucket score when first written.</summary>
    public double InitialAnomalyScore { get; set; }

    /// <summary>Records, only when a results query asks to expand them (the pipeline leaves this empty).</summary>
    public List<RecordDocument> Records { get; } = [];

    /// <summary>Records in the bucket (weighted by summary count when one is configured).</summary>
    public long EventCount { get; init; }

    /// <summary>Whether this is an interim result.</summary>
    public bool IsInterim { get; init; }

    /// <summary>Bucket influencers; the <c>bucket_time</c> one first.</summary>
    public List<BucketInfluencerDocument> BucketInfluencers { get; } = [];

    /// <summary>Time spent closing the bucket, milliseconds.</summary>
    public long ProcessingTimeMs { get; set; }

    /// <summary>Descriptions of the scheduled events covering the bucket (written only when there are some, as ES).</summary>
    public List<string> ScheduledEvents { get; } = [];

    /// <summary>ES document id: <c>&lt;job&gt;_bucket_&lt;ts_ms&gt;_&lt;span_s&gt;</c>.</summary>
    public string Id => $"{JobId}_bucket_{Timestamp}_{BucketSpan}";

    /// <summary>Writes the ES JSON object (field order as ES's <c>Bucket.toXContent</c>).</summary>
    public void WriteTo(Utf8JsonWriter w, bool human)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("job_id", JobId);
        ResultJson.WriteTime(w, human, "timestamp", Timestamp);
        w.WriteNumber("anomaly_score", AnomalyScore);
        w.WriteNumber("bucket_span", BucketSpan);
        w.WriteNumber("initial_anomaly_score", InitialAnomalyScore);
        if (Records.Count > 0)
        {
            w.WriteStartArray("records");
            foreach (var r in Records)
            {
                r.WriteTo(w, human);
            }

            w.WriteEndArray();
        }

        w.WriteNumber("event_count", EventCount);
        w.WriteBoolean("is_interim", IsInterim);
        w.WriteStartArray("bucket_influencers");
        foreach (var bi in BucketInfluencers)
        {
            bi.WriteTo(w, human);
        }

        w.WriteEndArray();
        w.WriteNumber("processing_time_ms", ProcessingTimeMs);
        if (ScheduledEvents.Count > 0)
        {
            w.WriteStartArray("scheduled_events");
            foreach (var e in ScheduledEvents)
            {
                w.WriteStringValue(e);
            }

            w.WriteEndArray();
        }

        w.WriteString("result_type", "bucket");
        w.WriteEndObject();
    }
}
