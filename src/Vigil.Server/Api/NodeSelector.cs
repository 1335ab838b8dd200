using Vigil.Cluster.Nodes;
using Vigil.Server.Http;

namespace Vigil.Server.Api;

/// <summary>Resolves an Elasticsearch node specification (as the nodes APIs take it) against a node.</summary>
/// <remarks>
/// Terms are applied left to right: <c>_all</c>/<c>*</c>, <c>_local</c>, <c>_master</c>, an id or name (with
/// <c>*</c> wildcards), <c>role:true|false</c> (<c>ml:true</c>, <c>master:false</c>) and
/// <c>attribute:value</c>; a <c>:false</c> role term removes matching nodes.
/// </remarks>
public static class NodeSelector
{
    /// <summary>True when <paramref name="spec"/> selects <paramref name="node"/>. Null or empty selects all.</summary>
    public static bool Matches(string? spec, NodeInfo node)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return true;
        }

        var selected = false;
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (raw)
            {
                case "_all" or "*" or "_local" or "_master":
                    selected = true;
                    continue;
            }

            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var key = raw[..colon];
                var value = raw[(colon + 1)..];
                var isRole = IsRole(key);
                if (isRole && value is "true" or "false")
                {
                    var has = HasRole(node, key);
                    if (value == "true" && has)
                    {
                        selected = true;
                    }
                    else if (value == "false" && has)
                    {
                        selected = false;
                    }

                    continue;
                }

                foreach (var (attribute, attributeValue) in node.Attributes)
                {
                    if (FilterPath.Matches(key, attribute) && FilterPath.Matches(value, attributeValue))
                    {
                        selected = true;
                    }
                }

                continue;
            }

            if (FilterPath.Matches(raw, node.Id) || FilterPath.Matches(raw, node.Name) || FilterPath.Matches(raw, node.TransportAddress)
                || FilterPath.Matches(raw, node.TransportAddress.Split(':')[0]))
            {
                selected = true;
            }
        }

        return selected;
    }

    private static bool IsRole(string key) => key is "master" or "data" or "ingest" or "ml" or "remote_cluster_client" or "transform"
        or "voting_only" or "coordinating_only";

    private static bool HasRole(NodeInfo node, string role)
    {
        foreach (var r in node.Roles)
        {
            if (r == role)
            {
                return true;
            }
        }

        return false;
    }
}
