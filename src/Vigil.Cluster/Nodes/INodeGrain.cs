namespace Vigil.Cluster.Nodes;

/// <summary>One grain per node, keyed by node id: reports the node's facts.</summary>
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>The node's identity, addresses, memory and roles.</summary>
    Task<NodeInfo> GetInfoAsync();
}
