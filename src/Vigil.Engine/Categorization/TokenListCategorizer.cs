using System.Text;

namespace Vigil.Engine.Categorization;

/// <summary>
/// Groups the messages of a job's categorization field into categories of similar token lists (<c>mlcategory</c>),
/// optionally one set of categories per partition value, with category ids unique in the job (from 1).
/// </summary>
/// <remarks>
/// <para>Implementation note (mirrors ml-cpp's <c>CTokenListDataCategorizerBase</c>): a message is analysed into tokens
/// (<see cref="MessageAnalyzer"/>), each token gets an id and a weight, and the categories of its partition are tried in
/// descending order of matches. A category whose search (terms, regex, max length) matches the message, or whose
/// similarity is above the upper threshold (0.85, half way between 0.7 and 1), takes it at once; otherwise the most
/// similar category above 0.7 does, and with none a new category starts. Similarity is 1 − weighted edit distance /
/// the larger total weight (insertions and deletions cost the token's weight, substitutions the larger weight);
/// categories whose weight cannot reach the best similarity so far, or that would lose too much common-token weight,
/// are skipped before the edit distance is computed, as ml-cpp does.</para>
/// <para>Token weights: ml-cpp weighs dictionary words more (its part-of-speech dictionary: +2, verbs +5). Vigil has
/// no dictionary and guesses from the token's shape (see <see cref="Weight"/>).</para>
/// <para>Per message nothing is allocated once its category exists and has its examples: tokens not seen before get
/// temporary ids (they cannot match any category token) and become strings only when a new category keeps them,
/// as ml-cpp discards the tokens of messages that join an existing category.</para>
/// <para>Statistics follow ml-cpp: rare = one match; frequent = more than 1% of the partition's messages and not one;
/// dead = a more frequent category's search matches it; <c>categorization_status</c> is <c>warn</c> when, with at least
/// 100 messages, some partition has one category, over 90% rare, more categories than half its messages, no frequent
/// category, or over half dead. No category is ever refused for memory (<c>failed_category_count</c> is 0).</para>
/// </remarks>
internal sealed class TokenListCategorizer
{
    /// <summary>ml-cpp's default similarity threshold.</summary>
    public const double LowerThreshold = 0.7;

    /// <summary>Half way between the lower threshold and 1: a match this good is taken at once.</summary>
    public const double UpperThreshold = (1.0 + LowerThreshold) / 2.0;

    private const int StateMagic = 0x54414356; // "VCAT"
    private const int StateVersion = 1;

    private readonly MessageAnalyzer _analyzer;
    private readonly int _examplesLimit;
    private readonly bool _stopOnWarn;
    private readonly Dictionary<string, int> _tokenIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tokenLookup;
    private readonly List<string> _tokens = [];
    private readonly List<TokenListCategory> _categories = [];
    private readonly List<PartitionCategories?> _partitions = [];
    private int[] _ids = new int[64];
    private int[] _weights = new int[64];
    private int[] _uniqueIds = new int[64];
    private int[] _uniqueWeights = new int[64];
    private int[] _temp = new int[16];
    private int[] _row0 = new int[65];
    private int[] _row1 = new int[65];
    private char[] _chars = new char[256];
    private int _count;
    private CategorizerStats? _stats;
    private long _statsAt = -1;

    /// <summary>Creates a categorizer.</summary>
    /// <param name="analyzer">The job's categorization analyzer.</param>
    /// <param name="examplesLimit"><c>analysis_limits.categorization_examples_limit</c>.</param>
    /// <param name="stopOnWarn"><c>per_partition_categorization.stop_on_warn</c>: a partition whose status becomes
    /// <c>warn</c> categorizes no further messages.</param>
    public TokenListCategorizer(MessageAnalyzer analyzer, int examplesLimit, bool stopOnWarn = false)
    {
        _analyzer = analyzer;
        _stopOnWarn = stopOnWarn;
        _examplesLimit = Math.Max(0, examplesLimit);
        _tokenLookup = _tokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Categories created so far, by id − 1.</summary>
    public IReadOnlyList<TokenListCategory> Categories => _categories;

    /// <summary>Token strings by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Messages categorized.</summary>
    public long CategorizedCount { get; private set; }

    /// <summary>Categorizes a UTF-8 message in partition <paramref name="partition"/> (0 without per-partition categorization).</summary>
    /// <returns>The category id (from 1), or −1 when the partition stopped categorizing (<c>stop_on_warn</c>).</returns>
    public int Categorize(ReadOnlySpan<byte> utf8, int partition)
    {
        var length = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (_chars.Length < length)
        {
            _chars = new char[Math.Max(length, _chars.Length * 2)];
        }

        var n = Encoding.UTF8.GetChars(utf8, _chars);
        return Categorize(_chars.AsSpan(0, n), utf8.Length, partition);
    }

    /// <summary>Categorizes a message of <paramref name="rawLength"/> UTF-8 bytes in partition <paramref name="partition"/>.</summary>
    /// <returns>The category id (from 1), or −1 when the partition stopped categorizing (<c>stop_on_warn</c>).</returns>
    public int Categorize(ReadOnlySpan<char> message, int rawLength, int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (_stopOnWarn && partition < _partitions.Count && _partitions[partition] is { Stopped: true })
        {
            return -1;
        }

        var id = CategorizeCore(message, rawLength, partition);
        if (_stopOnWarn)
        {
            // Implementation note (ml-cpp's per-message check, isStatsWriteUrgent): the status is taken with no dead
            // categories, which are too costly to count per message.
            var p = _partitions[partition]!;
            var frequent = 0;
            while (frequent < p.Count && _categories[p.ByCount[frequent]] is var c && c.NumMatches * 100 > p.Total && c.NumMatches != 1)
            {
                frequent++;
            }

            p.Stopped = IsWarn(p.Total, p.Count, frequent, p.Rare, 0);
        }

        return id;
    }

    private int CategorizeCore(ReadOnlySpan<char> message, int rawLength, int partition)
    {
        var tokenCount = _analyzer.Analyze(message);
        _count = tokenCount;
        var weight = Tokenize(tokenCount, out var tempCount);
        var uniqueCount = Unique(tokenCount);
        var ids = _ids.AsSpan(0, tokenCount);
        var uniqueIds = _uniqueIds.AsSpan(0, uniqueCount);
        var uniqueWeights = _uniqueWeights.AsSpan(0, uniqueCount);

        while (_partitions.Count <= partition)
        {
            _partitions.Add(null);
        }

        var p = _partitions[partition] ??= new PartitionCategories();
        var minWeight = MinMatchingWeight(weight, LowerThreshold);
        var maxWeight = MaxMatchingWeight(weight, LowerThreshold);
        var best = -1;
        var bestSimilarity = LowerThreshold;
        for (var rank = 0; rank < p.Count; rank++)
        {
            var category = _categories[p.ByCount[rank]];
            var matches = category.MatchesSearch(weight, rawLength, uniqueIds, uniqueWeights, ids);
            if (!matches)
            {
                if (category.BaseWeight < minWeight || category.BaseWeight > maxWeight)
                {
                    continue;
                }

                var missing = category.MissingCommonWeight(uniqueIds, uniqueWeights);
                if (missing > 0 && (double)(category.CommonWeight - missing) / category.OriginalUniqueWeight < LowerThreshold)
                {
                    continue;
                }
            }

            // A search match is taken whatever the similarity (ml-cpp computes it only to log it), so it is not computed.
            if (matches)
            {
                return Join(p, rank, message, rawLength, ids, uniqueIds, uniqueWeights);
            }

            var similarity = Similarity(weight, category);
            if (similarity > UpperThreshold)
            {
                return Join(p, rank, message, rawLength, ids, uniqueIds, uniqueWeights);
            }

            if (similarity > bestSimilarity)
            {
                best = rank;
                bestSimilarity = similarity;
                minWeight = MinMatchingWeight(weight, similarity);
                maxWeight = MaxMatchingWeight(weight, similarity);
            }
        }

        if (best >= 0)
        {
            return Join(p, best, message, rawLength, ids, uniqueIds, uniqueWeights);
        }

        // A new category keeps this message's new tokens: their temporary ids become real ones, in the same order.
        for (var k = 0; k < tempCount; k++)
        {
            var token = _analyzer.Token(_temp[k]).ToString();
            _tokenIds.Add(token, _tokens.Count);
            _tokens.Add(token);
        }

        var created = new TokenListCategory(_categories.Count + 1, partition, ids, _weights.AsSpan(0, tokenCount), weight, uniqueIds,
            uniqueWeights, rawLength);
        created.AddExample(message, _examplesLimit);
        _categories.Add(created);
        p.Add(_categories.Count - 1);
        CategorizedCount++;
        return created.Id;
    }

    /// <summary>The statistics <c>model_size_stats</c> reports, over every partition.</summary>
    /// <remarks>Counting dead categories compares every pair of a partition's categories, so the result is kept until the
    /// next message.</remarks>
    public CategorizerStats Stats()
    {
        if (_stats is { } cached && _statsAt == CategorizedCount)
        {
            return cached;
        }

        _stats = ComputeStats();
        _statsAt = CategorizedCount;
        return _stats;
    }

    private CategorizerStats ComputeStats()
    {
        long frequent = 0, rare = 0, dead = 0;
        var warn = false;
        foreach (var p in _partitions)
        {
            if (p is null)
            {
                continue;
            }

            long pFrequent = 0, pDead = 0;
            for (var i = 0; i < p.Count; i++)
            {
                var category = _categories[p.ByCount[i]];
                if (category.NumMatches * 100 > p.Total && category.NumMatches != 1)
                {
                    pFrequent++;
                }

                for (var j = 0; j < i; j++)
                {
                    if (_categories[p.ByCount[j]].MatchesSearch(category))
                    {
                        pDead++;
                        break;
                    }
                }
            }

            frequent += pFrequent;
            rare += p.Rare;
            dead += pDead;
            warn |= IsWarn(p.Total, p.Count, pFrequent, p.Rare, pDead);
        }

        return new CategorizerStats(CategorizedCount, _categories.Count, frequent, rare, dead, 0, warn ? "warn" : "ok");
    }

    /// <summary>ml-cpp's <c>calculateCategorizationStatus</c>.</summary>
    internal static bool IsWarn(long messages, long categories, long frequent, long rare, long dead) =>
        messages >= 100
        && (categories == 1 || 10 * rare > 9 * categories || 2 * categories > messages || frequent == 0 || 2 * dead > categories);

    /// <summary>The ids of the categories this one is preferred to: less frequent ones of its partition its search matches, sorted.</summary>
    public List<int> PreferredTo(TokenListCategory category)
    {
        var result = new List<int>();
        var p = _partitions[category.Partition]!;
        var seen = false;
        for (var i = 0; i < p.Count; i++)
        {
            var other = _categories[p.ByCount[i]];
            if (ReferenceEquals(other, category))
            {
                seen = true;
                continue;
            }

            if (seen && category.MatchesSearch(other))
            {
                result.Add(other.Id);
            }
        }

        result.Sort();
        return result;
    }

    /// <summary>Approximate bytes held by tokens and categories.</summary>
    public long MemoryBytes
    {
        get
        {
            long bytes = 0;
            foreach (var t in _tokens)
            {
                bytes += 48 + (2L * t.Length);
            }

            foreach (var c in _categories)
            {
                bytes += c.MemoryBytes;
            }

            return bytes;
        }
    }

    /// <summary>Writes the categorizer (tokens, categories with their examples and change flags, partitions' counts).</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(StateMagic);
        w.Write(StateVersion);
        w.Write(CategorizedCount);
        w.Write(_tokens.Count);
        foreach (var t in _tokens)
        {
            w.Write(t);
        }

        w.Write(_categories.Count);
        foreach (var c in _categories)
        {
            c.Save(w);
        }
    }

    /// <summary>Restores a categorizer written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The state is not a categorizer state or is inconsistent.</exception>
    public void Load(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        if (r.ReadInt32() != StateMagic || r.ReadInt32() != StateVersion)
        {
            throw new InvalidDataException("not a categorizer state");
        }

        _stats = null;
        _tokens.Clear();
        _tokenIds.Clear();
        _categories.Clear();
        _partitions.Clear();
        CategorizedCount = r.ReadInt64();
        var tokens = r.ReadInt32();
        for (var i = 0; i < tokens; i++)
        {
            var t = r.ReadString();
            _tokenIds.Add(t, i);
            _tokens.Add(t);
        }

        var categories = r.ReadInt32();
        for (var i = 0; i < categories; i++)
        {
            var c = TokenListCategory.Load(r, tokens);
            if (c.Id != i + 1 || c.Partition < 0)
            {
                throw new InvalidDataException("categorizer state: category ids out of sequence");
            }

            _categories.Add(c);
            while (_partitions.Count <= c.Partition)
            {
                _partitions.Add(null);
            }

            (_partitions[c.Partition] ??= new PartitionCategories()).Restore(i, c.NumMatches);
        }

        foreach (var p in _partitions)
        {
            if (p is null)
            {
                continue;
            }

            p.SortByCount(_categories);
            if (_stopOnWarn)
            {
                var frequent = 0;
                while (frequent < p.Count && _categories[p.ByCount[frequent]] is var c && c.NumMatches * 100 > p.Total && c.NumMatches != 1)
                {
                    frequent++;
                }

                p.Stopped = IsWarn(p.Total, p.Count, frequent, p.Rare, 0);
            }
        }
    }

    private static int MinMatchingWeight(int weight, double threshold) =>
        weight == 0 ? 0 : (int)Math.Floor((weight * threshold) + 1e-11) + 1;

    private static int MaxMatchingWeight(int weight, double threshold) =>
        weight == 0 ? 0 : (int)Math.Ceiling((weight / threshold) - 1e-11) - 1;

    private int Join(PartitionCategories p, int rank, ReadOnlySpan<char> message, int rawLength, ReadOnlySpan<int> ids,
        ReadOnlySpan<int> uniqueIds, ReadOnlySpan<int> uniqueWeights)
    {
        var index = p.ByCount[rank];
        var category = _categories[index];
        var wasRare = category.NumMatches == 1;
        category.Add(ids, uniqueIds, uniqueWeights, rawLength);
        if (wasRare)
        {
            p.Rare--;
        }

        p.Total++;
        CategorizedCount++;
        category.AddExample(message, _examplesLimit);

        // Move the category forward past those with fewer matches (equal counts keep their places).
        var to = rank;
        while (to > 0 && _categories[p.ByCount[to - 1]].NumMatches < category.NumMatches)
        {
            to--;
        }

        if (to != rank)
        {
            (p.ByCount[to], p.ByCount[rank]) = (p.ByCount[rank], p.ByCount[to]);
        }

        return category.Id;
    }

    /// <summary>Gives each token an id (known, or temporary for new ones) and a weight.</summary>
    /// <returns>The total weight.</returns>
    private int Tokenize(int tokenCount, out int tempCount)
    {
        if (_ids.Length < tokenCount)
        {
            var size = Math.Max(tokenCount, _ids.Length * 2);
            _ids = new int[size];
            _weights = new int[size];
            _uniqueIds = new int[size];
            _uniqueWeights = new int[size];
        }

        tempCount = 0;
        var total = 0;
        for (var t = 0; t < tokenCount; t++)
        {
            var token = _analyzer.Token(t);
            if (!_tokenLookup.TryGetValue(token, out var id))
            {
                var k = 0;
                while (k < tempCount && !_analyzer.Token(_temp[k]).SequenceEqual(token))
                {
                    k++;
                }

                if (k == tempCount)
                {
                    if (_temp.Length == tempCount)
                    {
                        Array.Resize(ref _temp, tempCount * 2);
                    }

                    _temp[tempCount++] = t;
                }

                id = _tokens.Count + k;
            }

            var w = Weight(token);
            _ids[t] = id;
            _weights[t] = w;
            total += w;
        }

        return total;
    }

    /// <summary>
    /// A token's weight, standing in for ml-cpp's dictionary weighting (1, +5 for dictionary verbs, +2 for other dictionary
    /// words): a word of two or more letters, not camel case (a lower-case letter followed by an upper-case one marks an
    /// identifier), weighs 3, or 6 when it looks like a verb form (ends in "ed" or "ing", four letters or more); any other
    /// token weighs 1.
    /// </summary>
    internal static int Weight(ReadOnlySpan<char> token)
    {
        if (token.Length < 2)
        {
            return 1;
        }

        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (!char.IsLetter(c) || (i > 0 && char.IsUpper(c) && char.IsLower(token[i - 1])))
            {
                return 1;
            }
        }

        if (token.Length >= 4 && (token.EndsWith("ed", StringComparison.OrdinalIgnoreCase) || token.EndsWith("ing", StringComparison.OrdinalIgnoreCase)))
        {
            return 6;
        }

        return 3;
    }

    /// <summary>The message's unique tokens sorted by id, with the weights of their occurrences summed.</summary>
    private int Unique(int tokenCount)
    {
        _ids.AsSpan(0, tokenCount).CopyTo(_uniqueIds);
        _weights.AsSpan(0, tokenCount).CopyTo(_uniqueWeights);
        _uniqueIds.AsSpan(0, tokenCount).Sort(_uniqueWeights.AsSpan(0, tokenCount));
        var n = 0;
        for (var i = 0; i < tokenCount; i++)
        {
            if (n > 0 && _uniqueIds[n - 1] == _uniqueIds[i])
            {
                _uniqueWeights[n - 1] += _uniqueWeights[i];
            }
            else
            {
                _uniqueIds[n] = _uniqueIds[i];
                _uniqueWeights[n] = _uniqueWeights[i];
                n++;
            }
        }

        return n;
    }

    /// <summary>1 − weighted edit distance between the message and the category's base tokens / the larger weight.</summary>
    private double Similarity(int weight, TokenListCategory category)
    {
        var maxWeight = Math.Max(weight, category.BaseWeight);
        if (maxWeight == 0)
        {
            return 1.0;
        }

        var aIds = _ids;
        var aWeights = _weights;
        var bIds = category.BaseIds;
        var bWeights = category.BaseWeights;
        var n = bIds.Length;
        if (_row0.Length < n + 1)
        {
            _row0 = new int[Math.Max(n + 1, _row0.Length * 2)];
            _row1 = new int[_row0.Length];
        }

        var prev = _row0;
        var cur = _row1;
        prev[0] = 0;
        for (var j = 1; j <= n; j++)
        {
            prev[j] = prev[j - 1] + bWeights[j - 1];
        }

        var m = _count;
        for (var i = 1; i <= m; i++)
        {
            var aw = aWeights[i - 1];
            var ai = aIds[i - 1];
            cur[0] = prev[0] + aw;
            for (var j = 1; j <= n; j++)
            {
                var bw = bWeights[j - 1];
                var best = Math.Min(prev[j] + aw, cur[j - 1] + bw);
                var sub = prev[j - 1] + (ai == bIds[j - 1] ? 0 : Math.Max(aw, bw));
                cur[j] = Math.Min(best, sub);
            }

            (prev, cur) = (cur, prev);
        }

        return 1.0 - ((double)prev[n] / maxWeight);
    }

    private sealed class PartitionCategories
    {
        public int[] ByCount = new int[8];
        public int Count;
        public long Total;
        public long Rare;
        public bool Stopped;

        public void Add(int index)
        {
            if (Count == ByCount.Length)
            {
                Array.Resize(ref ByCount, Count * 2);
            }

            ByCount[Count++] = index;
            Total++;
            Rare++;
        }

        public void Restore(int index, long matches)
        {
            if (Count == ByCount.Length)
            {
                Array.Resize(ref ByCount, Count * 2);
            }

            ByCount[Count++] = index;
            Total += matches;
            Rare += matches == 1 ? 1 : 0;
        }

        public void SortByCount(List<TokenListCategory> categories)
        {
            // Descending matches, creation order among equals (a stable sort, as ml-cpp's restore).
            var order = ByCount.AsSpan(0, Count).ToArray();
            Array.Sort(order, (a, b) =>
            {
                var c = categories[b].NumMatches.CompareTo(categories[a].NumMatches);
                return c != 0 ? c : a.CompareTo(b);
            });
            order.CopyTo(ByCount, 0);
        }
    }
}

/// <summary>Categorization statistics for <c>model_size_stats</c>.</summary>
/// <param name="CategorizedDocCount">Messages categorized.</param>
/// <param name="TotalCategoryCount">Categories created.</param>
/// <param name="FrequentCategoryCount">Categories with more than 1% of their partition's messages (and not one).</param>
/// <param name="RareCategoryCount">Categories with one message.</param>
/// <param name="DeadCategoryCount">Categories a more frequent category's search matches.</param>
/// <param name="FailedCategoryCount">Categories not created for lack of memory (always 0 in Vigil).</param>
/// <param name="CategorizationStatus"><c>ok</c> or <c>warn</c>.</param>
public sealed record CategorizerStats(
    long CategorizedDocCount,
    long TotalCategoryCount,
    long FrequentCategoryCount,
    long RareCategoryCount,
    long DeadCategoryCount,
    long FailedCategoryCount,
    string CategorizationStatus);
