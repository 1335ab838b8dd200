using Vigil.Engine.Results;

namespace Vigil.Engine.Pipeline;

/// <summary>Receives the results of a closed (or interim) bucket.</summary>
/// <remarks>
/// For each bucket the pipeline calls <see cref="OnRecord"/> for every anomaly record,
/// <see cref="OnInfluencer"/> for every influencer result, <see cref="OnModelPlot"/> for every model
/// plot point (when enabled), and finally <see cref="OnBucket"/> once: the bucket comes last, so a
/// sink can treat it as the end of the bucket's results.
/// </remarks>
public interface IResultSink
{
    /// <summary>The bucket result (always produced, even for an empty bucket).</summary>
    void OnBucket(BucketDocument bucket);

    /// <summary>An anomaly record.</summary>
    void OnRecord(RecordDocument record);

    /// <summary>An influencer result.</summary>
    void OnInfluencer(InfluencerDocument influencer);

    /// <summary>A model plot point.</summary>
    void OnModelPlot(ModelPlotDocument plot);
}
