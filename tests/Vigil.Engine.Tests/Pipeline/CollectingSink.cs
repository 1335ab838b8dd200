using Vigil.Engine.Pipeline;
using Vigil.Engine.Results;

namespace Vigil.Engine.Tests.Pipeline;

internal sealed class CollectingSink : IResultSink
{
    public List<BucketDocument> Buckets { get; } = [];

    public List<RecordDocument> Records { get; } = [];

    public List<InfluencerDocument> Influencers { get; } = [];

    public List<ModelPlotDocument> Plots { get; } = [];

    public void OnBucket(BucketDocument bucket) => Buckets.Add(bucket);

    public void OnRecord(RecordDocument record) => Records.Add(record);

    public void OnInfluencer(InfluencerDocument influencer) => Influencers.Add(influencer);

    public void OnModelPlot(ModelPlotDocument plot) => Plots.Add(plot);

    public void Clear()
    {
        Buckets.Clear();
        Records.Clear();
        Influencers.Clear();
        Plots.Clear();
    }
}
