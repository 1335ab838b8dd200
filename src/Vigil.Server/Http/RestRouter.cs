namespace Vigil.Server.Http;

/// <summary>Handles one matched REST request.</summary>
public delegate Task<EsResponse> EsHandler(EsRequest request);

/// <summary>
/// Maps (method, path) to handlers the way Elasticsearch's REST controller does: literal path segments win
/// over <c>{param}</c> segments, a known path with another method answers 405, an unknown path 400.
/// </summary>
public sealed class RestRouter
{
    /// <summary>Parameters every endpoint accepts.</summary>
    public static readonly IReadOnlySet<string> GenericParameters =
        new HashSet<string>(StringComparer.Ordinal) { "pretty", "human", "error_trace", "filter_path", "format" };

    private readonly List<RouteEntry> _routes = [];

    /// <summary>Registers a route. <paramref name="template"/> is like <c>/_ml/anomaly_detectors/{job_id}/_open</c>.
    /// Routes under <c>/_ml/</c> also answer under the legacy <c>/_xpack/ml/</c> prefix unless <paramref name="legacyXpack"/> is false.</summary>
    public void Add(string method, string template, EsHandler handler, IReadOnlyCollection<string>? parameters = null,
        bool acceptsCsv = false, bool legacyXpack = true)
    {
        var allowed = new HashSet<string>(parameters ?? [], StringComparer.Ordinal);
        _routes.Add(new RouteEntry(method, Split(template), handler, allowed, acceptsCsv));
        if (legacyXpack && template.StartsWith("/_ml/", StringComparison.Ordinal))
        {
            _routes.Add(new RouteEntry(method, Split("/_xpack/ml/" + template["/_ml/".Length..]), handler, allowed, acceptsCsv));
        }
    }

    /// <summary>Finds the handler for a request.</summary>
    internal RouteMatch Match(string method, string path)
    {
        var segments = Split(path);
        RouteEntry? best = null;
        Dictionary<string, string>? bestValues = null;
        var bestScore = -1;
        var allowedMethods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var route in _routes)
        {
            var score = Score(route.Segments, segments);
            if (score < 0)
            {
                continue;
            }

            if (!string.Equals(route.Method, method, StringComparison.Ordinal))
            {
                allowedMethods.Add(route.Method);
                continue;
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = route;
                bestValues = null;
            }
        }

        if (best is not null)
        {
            bestValues = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < best.Segments.Length; i++)
            {
                var s = best.Segments[i];
                if (s.StartsWith('{'))
                {
                    bestValues[s[1..^1]] = segments[i];
                }
            }

            return new RouteMatch(best, bestValues, null);
        }

        return new RouteMatch(null, null, allowedMethods.Count > 0 ? allowedMethods : null);
    }

    private static int Score(string[] template, string[] path)
    {
        if (template.Length != path.Length)
        {
            return -1;
        }

        var score = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var t = template[i];
            if (t.StartsWith('{'))
            {
                if (path[i].Length == 0)
                {
                    return -1;
                }

                continue;
            }

            if (!string.Equals(t, path[i], StringComparison.Ordinal))
            {
                return -1;
            }

            // Earlier literal segments weigh more, as a path trie prefers literal children at each level.
            score += 1 << (16 - Math.Min(i, 16));
        }

        return score;
    }

    private static string[] Split(string path)
    {
        var trimmed = path.Trim('/');
        return trimmed.Length == 0 ? [] : trimmed.Split('/');
    }

    internal sealed record RouteEntry(string Method, string[] Segments, EsHandler Handler, HashSet<string> Parameters, bool AcceptsCsv);

    internal readonly record struct RouteMatch(RouteEntry? Route, Dictionary<string, string>? Values, SortedSet<string>? AllowedMethods);
}
