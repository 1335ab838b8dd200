namespace Vigil.Cluster.Hosting;

/// <summary>Facts and settings of this node.</summary>
public sealed class VigilNodeOptions
{
    /// <summary>Directory holding the embedded store and the node's identity. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Node name (default: the machine name).</summary>
    public string NodeName { get; set; } = Environment.MachineName;

    /// <summary>Cluster name reported by <c>GET /</c> and memory stats. Default <c>vigil</c>.</summary>
    public string ClusterName { get; set; } = "vigil";

    /// <summary>Orleans silo-to-silo port (Elasticsearch's transport port plays this role). Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Share of machine memory anomaly-detection models may use on this node, in percent: Elasticsearch's
    /// <c>xpack.ml.max_machine_memory_percent</c> (default 30, allowed 5 to 200). Jobs that do not fit are refused
    /// (or wait in <c>opening</c> with <c>allow_lazy_open</c>).
    /// </summary>
    public int MaxMachineMemoryPercent { get; set; } = 30;

    /// <summary>The node's persistent id, read from (or written to) <c>node_id</c> in the data directory.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>The cluster's persistent uuid, read from (or written to) <c>cluster_uuid</c> in the data directory.</summary>
    public string ClusterUuid { get; set; } = "";

    /// <summary>A fresh id every process start (Elasticsearch's ephemeral_id).</summary>
    public string EphemeralId { get; } = NewId();

    /// <summary>Loads the persistent node id and cluster uuid from the data directory, creating it on first start.</summary>
    public void EnsureNodeId()
    {
        Directory.CreateDirectory(DataDirectory);
        var path = Path.Combine(DataDirectory, "node_id");
        if (File.Exists(path))
        {
            NodeId = File.ReadAllText(path).Trim();
        }

        if (string.IsNullOrEmpty(NodeId))
        {
            NodeId = NewId();
            File.WriteAllText(path, NodeId);
        }

        var uuidPath = Path.Combine(DataDirectory, "cluster_uuid");
        ClusterUuid = File.Exists(uuidPath) ? File.ReadAllText(uuidPath).Trim() : "";
        if (string.IsNullOrEmpty(ClusterUuid))
        {
            ClusterUuid = NewId();
            File.WriteAllText(uuidPath, ClusterUuid);
        }
    }

    /// <summary>A 22-character URL-safe random id, the shape of Elasticsearch's node ids.</summary>
    public static string NewId() =>
        Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
