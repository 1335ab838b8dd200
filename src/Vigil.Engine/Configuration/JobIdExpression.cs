using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Resolves job id expressions: comma lists, <c>*</c> wildcards, group names, <c>_all</c>.</summary>
/// <remarks>
/// Implementation note: mirrors ES <c>JobConfigProvider.expandJobsIds</c> with <c>ExpandedIdsMatcher</c>: tokens
/// match job ids and group names (a group expands to its jobs); with <c>allow_no_match</c> only exact tokens must
/// match something, without it every token must (and <c>_all</c>/<c>*</c> alone must match at least one job,
/// reported as <c>'*'</c>); <c>_all</c> inside a list is an ordinary id. The
/// unmatched tokens are reported together: <c>No known job with id 'a,b'</c>. Results are sorted by job id.
/// </remarks>
public static class JobIdExpression
{
    /// <summary>Resolves <paramref name="expression"/> against <paramref name="all"/>.</summary>
    /// <exception cref="ElasticsearchException">404 <c>resource_not_found_exception</c>.</exception>
    public static IReadOnlyList<JobConfig> Resolve(string? expression, IReadOnlyCollection<JobConfig> all, bool allowNoMatch)
    {
        ArgumentNullException.ThrowIfNull(all);
        var sorted = new List<JobConfig>(all);
        sorted.Sort((a, b) => string.CompareOrdinal(a.JobId, b.JobId));
        var tokens = (expression ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0 || (tokens.Length == 1 && tokens[0] is "_all" or "*"))
        {
            // ES requires "something, anything" to match (a '*' matcher) when allow_no_match is false.
            if (sorted.Count == 0 && !allowNoMatch)
            {
                throw ElasticsearchException.ResourceNotFound(Messages.UnknownJob("*"));
            }

            return sorted;
        }

        var selected = new HashSet<string>(StringComparer.Ordinal);
        var unmatched = new List<string>();
        foreach (var token in tokens)
        {
            var wildcard = token.Contains('*', StringComparison.Ordinal);
            var matched = false;
            foreach (var job in sorted)
            {
                var hit = Matches(token, job.JobId, wildcard);
                if (!hit)
                {
                    foreach (var group in job.Groups)
                    {
                        if (Matches(token, group, wildcard))
                        {
                            hit = true;
                            break;
                        }
                    }
                }

                if (hit)
                {
                    matched = true;
                    selected.Add(job.JobId);
                }
            }

            if (!matched && (!wildcard || !allowNoMatch))
            {
                unmatched.Add(token);
            }
        }

        if (unmatched.Count > 0)
        {
            throw ElasticsearchException.ResourceNotFound(Messages.UnknownJob(string.Join(",", unmatched)));
        }

        var result = new List<JobConfig>(selected.Count);
        foreach (var job in sorted)
        {
            if (selected.Contains(job.JobId))
            {
                result.Add(job);
            }
        }

        return result;
    }

    /// <summary>Whether the expression means every job (ES <c>Strings.isAllOrWildcard</c> on the comma tokens).</summary>
    public static bool IsAll(string? expression)
    {
        var tokens = (expression ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return tokens.Length == 0 || (tokens.Length == 1 && tokens[0] is "_all" or "*");
    }

    /// <summary>ES <c>Regex.simpleMatch</c>: <c>*</c> matches any run of characters.</summary>
    public static bool SimpleMatch(string pattern, string value)
    {
        var p = 0;
        var v = 0;
        var star = -1;
        var mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (p < pattern.Length && pattern[p] == value[v])
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool Matches(string token, string candidate, bool wildcard) =>
        wildcard ? SimpleMatch(token, candidate) : token == candidate;
}
