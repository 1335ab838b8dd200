using Vigil.Cluster.Nodes;

namespace Vigil.Cluster;

/// <summary>What the HTTP layer asks of the cluster, without knowing Orleans.</summary>
public interface IClusterFacade
{
    /// <summary>The local node's facts, reported by its node grain.</summary>
    Task<NodeInfo> GetLocalNodeAsync();

    /// <summary>ML native memory set aside on the local node.</summary>
    Task<MlMemoryUsage> GetMlMemoryUsageAsync();
}
