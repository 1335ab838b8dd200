using System.Globalization;
using Vigil.Cluster.Hosting;

namespace Vigil.Cluster.Nodes;

/// <summary>Reports this node's facts. Placed on the node it describes (it is created by that node).</summary>
internal sealed class NodeGrain(VigilNodeOptions options) : Grain, INodeGrain
{
    public Task<NodeInfo> GetInfoAsync() => Task.FromResult(NodeFacts.Read(options));
}

/// <summary>Reads the facts of the local machine and process.</summary>
public static class NodeFacts
{
    /// <summary>The ML roles a single Vigil node has.</summary>
    public static readonly IReadOnlyList<string> Roles = ["data", "ingest", "master", "ml", "remote_cluster_client"];

    /// <summary>Builds the node's <see cref="NodeInfo"/> from the options and the runtime.</summary>
    public static NodeInfo Read(VigilNodeOptions options)
    {
        var gc = GC.GetGCMemoryInfo();
        var total = gc.TotalAvailableMemoryBytes > 0 ? gc.TotalAvailableMemoryBytes : 1L << 30;
        var heapMax = AppContext.GetData("GCHeapHardLimit") is ulong limit && limit > 0 ? (long)limit : total;
        var mlMax = total * options.MaxMachineMemoryPercent / 100;
        return new NodeInfo
        {
            Id = options.NodeId,
            Name = options.NodeName,
            EphemeralId = options.EphemeralId,
            TransportAddress = "127.0.0.1:" + options.SiloPort.ToString(CultureInfo.InvariantCulture),
            TotalMemoryBytes = total,
            HeapMaxBytes = heapMax,
            MlMaxBytes = mlMax,
            AllocatedProcessors = Environment.ProcessorCount,
            Roles = Roles,
            Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ml.machine_memory"] = total.ToString(CultureInfo.InvariantCulture),
                ["ml.max_jvm_size"] = heapMax.ToString(CultureInfo.InvariantCulture),
                ["ml.allocated_processors"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
                ["ml.allocated_processors_double"] = Environment.ProcessorCount.ToString("0.0", CultureInfo.InvariantCulture),
                ["ml.config_version"] = "12.0.0",
                ["xpack.installed"] = "true",
            },
        };
    }
}
