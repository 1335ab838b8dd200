using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Vigil.Engine.Results;
using Vigil.Storage;

namespace Vigil.Cluster.Jobs;

/// <summary>Turns the engine's result documents into stored rows.</summary>
internal static class ResultRows
{
    /// <summary>
    /// Serializes results. Ids follow Elasticsearch's shape: <c>&lt;job&gt;_bucket_&lt;ts&gt;_&lt;span&gt;</c> for buckets,
    /// and <c>&lt;job&gt;_&lt;type&gt;_&lt;ts&gt;_&lt;span&gt;_&lt;n&gt;</c> for the others, n counting within the bucket.
    /// </summary>
    public static List<ResultRow> From(string jobId, IReadOnlyList<object> documents, out bool hasFinal)
    {
        hasFinal = false;
        var rows = new List<ResultRow>(documents.Count);
        var sequence = new Dictionary<(string, long), int>();
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var document in documents)
        {
            buffer.ResetWrittenCount();
            using var w = new Utf8JsonWriter(buffer);
            switch (document)
            {
                case BucketDocument b:
                    b.WriteTo(w, human: false);
                    w.Flush();
                    hasFinal |= !b.IsInterim;
                    rows.Add(new ResultRow("bucket", b.Id, b.Timestamp, b.AnomalyScore, b.IsInterim, buffer.WrittenSpan.ToArray()));
                    break;
                case RecordDocument r:
                    r.WriteTo(w, human: false);
                    w.Flush();
                    rows.Add(new ResultRow("record", Id(jobId, "record", r.Timestamp, r.BucketSpan, sequence), r.Timestamp, r.RecordScore,
                        r.IsInterim, buffer.WrittenSpan.ToArray(), r.NormalizerFeature, r.NormalizerScope, r.NormalizerFamily));
                    break;
                case InfluencerDocument i:
                    i.WriteTo(w, human: false);
                    w.Flush();
                    rows.Add(new ResultRow("influencer", Id(jobId, "influencer", i.Timestamp, i.BucketSpan, sequence), i.Timestamp,
                        i.InfluencerScore, i.IsInterim, buffer.WrittenSpan.ToArray(), NormalizerScope: i.NormalizerScope,
                        NormalizerFamily: i.NormalizerFamily));
                    break;
                case ModelPlotDocument m:
                    m.WriteTo(w, human: false);
                    w.Flush();
                    rows.Add(new ResultRow("model_plot", Id(jobId, "model_plot", m.Timestamp, m.BucketSpan, sequence), m.Timestamp, 0,
                        false, buffer.WrittenSpan.ToArray()));
                    break;
            }
        }

        return rows;
    }

    /// <summary>Serializes category definitions (Elasticsearch's document id is <c>&lt;job&gt;_category_definition_&lt;id&gt;</c>;
    /// the store keys them by job and category id).</summary>
    public static List<CategoryRow> FromCategories(IReadOnlyList<Engine.Categorization.CategoryDocument> categories)
    {
        var rows = new List<CategoryRow>(categories.Count);
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var c in categories)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                c.WriteTo(w);
            }

            rows.Add(new CategoryRow(c.CategoryId, c.PartitionFieldValue, buffer.WrittenSpan.ToArray()));
        }

        return rows;
    }

    private static string Id(string jobId, string type, long timestamp, long span, Dictionary<(string, long), int> sequence)
    {
        var n = sequence.GetValueOrDefault((type, timestamp));
        sequence[(type, timestamp)] = n + 1;
        return string.Create(CultureInfo.InvariantCulture, $"{jobId}_{type}_{timestamp}_{span}_{n}");
    }
}
