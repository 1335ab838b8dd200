using Vigil.Cluster.Jobs;
using Vigil.Cluster.Hosting;
using Vigil.Cluster.Nodes;

namespace Vigil.Cluster;

/// <summary>The Orleans-backed <see cref="IClusterFacade"/>.</summary>
internal sealed class ClusterFacade(IGrainFactory grains, VigilNodeOptions options, LocalJobRegistry registry) : IClusterFacade
{
    public Task<NodeInfo> GetLocalNodeAsync() => grains.GetGrain<INodeGrain>(options.NodeId).GetInfoAsync();

    public Task<MlMemoryUsage> GetMlMemoryUsageAsync() => Task.FromResult(registry.Usage());
}
