using Vigil.Cluster;
using Vigil.Cluster.Hosting;
using Vigil.Server.Http;

namespace Vigil.Server.Api;

/// <summary><c>GET /</c> and <c>HEAD /</c>: the node's identity in Elasticsearch's root-info shape.</summary>
public sealed class RootApi(IClusterFacade cluster, VigilNodeOptions node)
{
    /// <summary>Adds the routes.</summary>
    public void Register(RestRouter router)
    {
        router.Add("GET", "/", _ => InfoAsync());
        router.Add("HEAD", "/", _ => Task.FromResult(EsResponse.Empty()));
    }

    private async Task<EsResponse> InfoAsync()
    {
        var info = await cluster.GetLocalNodeAsync().ConfigureAwait(false);
        return EsResponse.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("name", info.Name);
            w.WriteString("cluster_name", node.ClusterName);
            w.WriteString("cluster_uuid", node.ClusterUuid);
            w.WritePropertyName("version");
            w.WriteStartObject();
            w.WriteString("number", ServerInfo.VersionNumber);
            w.WriteString("build_flavor", "default");
            w.WriteString("build_type", "tar");
            w.WriteString("build_hash", ServerInfo.BuildHash);
            w.WriteString("build_date", ServerInfo.BuildDate);
            w.WriteBoolean("build_snapshot", false);
            w.WriteString("lucene_version", ServerInfo.LuceneVersion);
            w.WriteString("minimum_wire_compatibility_version", "7.17.0");
            w.WriteString("minimum_index_compatibility_version", "7.0.0");
            w.WriteEndObject();
            w.WriteString("tagline", "You Know, for Search");
            w.WriteEndObject();
        });
    }
}
