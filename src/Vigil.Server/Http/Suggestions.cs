namespace Vigil.Server.Http;

/// <summary>"Did you mean" suggestions for unrecognized parameters, ranked by string similarity.</summary>
/// <remarks>Implementation note: Elasticsearch suggests names whose Levenshtein similarity
/// (1 - distance / longer length) exceeds 0.5, best first.</remarks>
internal static class Suggestions
{
    public static List<string> Similar(string input, IReadOnlyList<string> candidates)
    {
        var scored = new List<(float Score, string Name)>();
        foreach (var candidate in candidates)
        {
            var similarity = 1f - (Distance(input, candidate) / (float)Math.Max(input.Length, candidate.Length));
            if (similarity > 0.5f)
            {
                scored.Add((similarity, candidate));
            }
        }

        scored.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Name, b.Name));
        var result = new List<string>(scored.Count);
        foreach (var (_, name) in scored)
        {
            result.Add(name);
        }

        return result;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
