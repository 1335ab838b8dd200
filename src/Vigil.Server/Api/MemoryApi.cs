using System.Text.Json;
using Vigil.Cluster;
using Vigil.Cluster.Hosting;
using Vigil.Cluster.Nodes;
using Vigil.Server.Http;

namespace Vigil.Server.Api;

/// <summary><c>GET _ml/memory/_stats</c> and <c>GET _ml/memory/{node_id}/_stats</c>.</summary>
public sealed class MemoryApi(IClusterFacade cluster, VigilNodeOptions node)
{
    private static readonly string[] Parameters = ["master_timeout", "timeout"];

    /// <summary>Adds the routes (added in 8.2: no legacy _xpack form).</summary>
    public void Register(RestRouter router)
    {
        router.Add("GET", "/_ml/memory/_stats", r => StatsAsync(r, null), Parameters, legacyXpack: false);
        router.Add("GET", "/_ml/memory/{node_id}/_stats", r => StatsAsync(r, r.Route("node_id")), Parameters, legacyXpack: false);
    }

    private async Task<EsResponse> StatsAsync(EsRequest request, string? nodeSpec)
    {
        var info = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
        var usage = await cluster.GetMlMemoryUsageAsync().ConfigureAwait(false);
        var selected = NodeSelector.Matches(nodeSpec, info);
        var human = request.Human;
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("_nodes");
            w.WriteStartObject();
            w.WriteNumber("total", selected ? 1 : 0);
            w.WriteNumber("successful", selected ? 1 : 0);
            w.WriteNumber("failed", 0);
            w.WriteEndObject();
            w.WriteString("cluster_name", node.ClusterName);
            w.WritePropertyName("nodes");
            w.WriteStartObject();
            if (selected)
            {
                WriteNode(w, info, usage, human);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void WriteNode(Utf8JsonWriter w, NodeInfo info, MlMemoryUsage usage, bool human)
    {
        w.WritePropertyName(info.Id);
        w.WriteStartObject();
        w.WriteString("name", info.Name);
        w.WriteString("ephemeral_id", info.EphemeralId);
        w.WriteString("transport_address", info.TransportAddress);
        w.WritePropertyName("attributes");
        w.WriteStartObject();
        foreach (var (key, value) in info.Attributes)
        {
            if (key.StartsWith("ml.", StringComparison.Ordinal))
            {
                w.WriteString(key, value);
            }
        }

        w.WriteEndObject();
        w.WritePropertyName("roles");
        w.WriteStartArray();
        foreach (var role in info.Roles)
        {
            w.WriteStringValue(role);
        }

        w.WriteEndArray();
        w.WritePropertyName("mem");
        w.WriteStartObject();
        Bytes(w, "total", info.TotalMemoryBytes, human);
        Bytes(w, "adjusted_total", info.TotalMemoryBytes, human);
        w.WritePropertyName("ml");
        w.WriteStartObject();
        Bytes(w, "max", info.MlMaxBytes, human);
        Bytes(w, "native_code_overhead", usage.NativeCodeOverheadBytes, human);
        Bytes(w, "anomaly_detectors", usage.AnomalyDetectorsBytes, human);
        Bytes(w, "data_frame_analytics", 0, human);
        Bytes(w, "native_inference", 0, human);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WritePropertyName("jvm");
        w.WriteStartObject();
        Bytes(w, "heap_max", info.HeapMaxBytes, human);
        Bytes(w, "java_inference_max", info.HeapMaxBytes * 40 / 100, human);
        Bytes(w, "java_inference", 0, human);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Bytes(Utf8JsonWriter w, string name, long value, bool human)
    {
        if (human)
        {
            w.WriteString(name, ByteSizeFormat.Format(value));
        }

        w.WriteNumber(name + "_in_bytes", value);
    }
}
