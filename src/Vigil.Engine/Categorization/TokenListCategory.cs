using System.Text;

namespace Vigil.Engine.Categorization;

/// <summary>One category of a <see cref="TokenListCategorizer"/>: the tokens of its first message and what its messages share.</summary>
/// <remarks>
/// Implementation note (mirrors ml-cpp's <c>CTokenListCategory</c>): the category keeps the token ids and weights of
/// the message that created it (base tokens), the unique tokens every message so far had with the same weight
/// (common unique tokens, sorted by id), the range of base tokens whose common ones every message had in the same
/// order, the longest message (UTF-8 bytes) and the number of matches. Terms are the common tokens (the ordered ones in
/// order, then the others); the regex is the ordered common tokens joined by <c>.+?</c> between <c>.*?</c> and
/// <c>.*</c>. Examples are a sorted set of at most the job's examples limit, each cut to 1,000 UTF-8 bytes (the cut
/// replaced by "...", as ml-cpp's <c>CCategoryExamplesCollector</c>).
/// </remarks>
internal sealed class TokenListCategory
{
    /// <summary>Longest example in UTF-8 bytes (ml-cpp's <c>MAX_EXAMPLE_LENGTH</c>).</summary>
    public const int MaxExampleBytes = 1000;

    private string? _terms;
    private string? _regex;
    private string? _grokPattern;
    private string? _grokRegex;
    private int _grokExamples;

    /// <summary>Creates a category from its first message.</summary>
    public TokenListCategory(int id, int partition, ReadOnlySpan<int> ids, ReadOnlySpan<int> weights, int weight, ReadOnlySpan<int> uniqueIds,
        ReadOnlySpan<int> uniqueWeights, int rawLength)
    {
        Id = id;
        Partition = partition;
        BaseIds = ids.ToArray();
        BaseWeights = weights.ToArray();
        BaseWeight = weight;
        BaseRawLength = rawLength;
        MaxStringLength = rawLength;
        OrderedEnd = BaseIds.Length;
        CommonIds = uniqueIds.ToArray();
        CommonWeights = uniqueWeights.ToArray();
        CommonCount = CommonIds.Length;
        foreach (var w in uniqueWeights)
        {
            CommonWeight += w;
        }

        OriginalUniqueWeight = CommonWeight;
        NumMatches = 1;
        Changed = true;
    }

    private TokenListCategory()
    {
        BaseIds = [];
        BaseWeights = [];
        CommonIds = [];
        CommonWeights = [];
    }

    /// <summary>The category id (unique in the job, from 1).</summary>
    public int Id { get; private set; }

    /// <summary>Index of the partition value (per-partition categorization), or −1.</summary>
    public int Partition { get; private set; }

    /// <summary>Token ids of the first message.</summary>
    public int[] BaseIds { get; private set; }

    /// <summary>Token weights of the first message.</summary>
    public int[] BaseWeights { get; private set; }

    /// <summary>Total weight of the first message's tokens.</summary>
    public int BaseWeight { get; private set; }

    /// <summary>Length of the first message in UTF-8 bytes.</summary>
    public int BaseRawLength { get; private set; }

    /// <summary>Longest message seen, UTF-8 bytes.</summary>
    public int MaxStringLength { get; private set; }

    /// <summary>First base token of the commonly ordered range.</summary>
    public int OrderedBegin { get; private set; }

    /// <summary>End (exclusive) of the commonly ordered range of base tokens.</summary>
    public int OrderedEnd { get; private set; }

    /// <summary>Common unique token ids, sorted (the first <see cref="CommonCount"/> entries).</summary>
    public int[] CommonIds { get; private set; }

    /// <summary>Weights of the common unique tokens.</summary>
    public int[] CommonWeights { get; private set; }

    /// <summary>Number of common unique tokens.</summary>
    public int CommonCount { get; private set; }

    /// <summary>Total weight of the common unique tokens.</summary>
    public int CommonWeight { get; private set; }

    /// <summary>Unique token weight of the first message.</summary>
    public int OriginalUniqueWeight { get; private set; }

    /// <summary>Messages in the category.</summary>
    public long NumMatches { get; set; }

    /// <summary>Changed since its document was last written.</summary>
    public bool Changed { get; set; }

    /// <summary>The examples, sorted.</summary>
    public List<string> Examples { get; } = [];

    /// <summary>
    /// The longest message the category's search matches: the longest seen plus 10%, capped by the first message's length
    /// times max(common tokens / 1.5, 2) (ml-cpp's <c>maxMatchingStringLen</c>).
    /// </summary>
    public int MaxMatchingLength
    {
        get
        {
            var extended = Math.Min(MaxStringLength * 11L / 10, (long)(BaseRawLength * Math.Max(CommonCount / 1.5, 2.0)));
            return (int)Math.Max(MaxStringLength, extended);
        }
    }

    /// <summary>Whether a token id is among the common unique tokens.</summary>
    public bool IsCommon(int id) => CommonIds.AsSpan(0, CommonCount).BinarySearch(id) >= 0;

    /// <summary>Weight of the common unique tokens a message lacks (or has with another weight).</summary>
    public int MissingCommonWeight(ReadOnlySpan<int> uniqueIds, ReadOnlySpan<int> uniqueWeights)
    {
        var present = 0;
        int c = 0, t = 0;
        while (c < CommonCount && t < uniqueIds.Length)
        {
            if (CommonIds[c] == uniqueIds[t])
            {
                if (CommonWeights[c] == uniqueWeights[t])
                {
                    present += CommonWeights[c];
                }

                c++;
                t++;
            }
            else if (CommonIds[c] < uniqueIds[t])
            {
                c++;
            }
            else
            {
                t++;
            }
        }

        return CommonWeight - present;
    }

    /// <summary>Whether a message's tokens hold the commonly ordered tokens in the same order.</summary>
    public bool ContainsOrderedCommonTokens(ReadOnlySpan<int> ids)
    {
        var test = 0;
        for (var i = OrderedBegin; i < OrderedEnd; i++)
        {
            var id = BaseIds[i];
            if (!IsCommon(id))
            {
                continue;
            }

            while (true)
            {
                if (test == ids.Length)
                {
                    return false;
                }

                if (ids[test++] == id)
                {
                    break;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Whether the category's search (its terms, regex and maximum length) matches a message: ml-cpp's
    /// <c>matchesSearchForCategory</c>.
    /// </summary>
    public bool MatchesSearch(int weight, int rawLength, ReadOnlySpan<int> uniqueIds, ReadOnlySpan<int> uniqueWeights, ReadOnlySpan<int> ids) =>
        (BaseWeight == 0) == (weight == 0)
        && MaxMatchingLength >= rawLength
        && MissingCommonWeight(uniqueIds, uniqueWeights) == 0
        && ContainsOrderedCommonTokens(ids);

    /// <summary>Whether this category's search matches every message of <paramref name="other"/> (it is preferred to it).</summary>
    public bool MatchesSearch(TokenListCategory other) =>
        MatchesSearch(other.BaseWeight, other.MaxStringLength, other.CommonIds.AsSpan(0, other.CommonCount),
            other.CommonWeights.AsSpan(0, other.CommonCount), other.BaseIds);

    /// <summary>Adds a message: narrows the common tokens and ordered range, grows the longest length, counts it.</summary>
    public void Add(ReadOnlySpan<int> ids, ReadOnlySpan<int> uniqueIds, ReadOnlySpan<int> uniqueWeights, int rawLength)
    {
        var structural = UpdateCommon(uniqueIds, uniqueWeights);
        structural |= UpdateOrdered(ids);
        if (rawLength > MaxStringLength)
        {
            MaxStringLength = rawLength;
            structural = true;
        }

        if (structural)
        {
            _terms = null;
            _regex = null;
        }

        NumMatches++;
        Changed = true;
    }

    /// <summary>Adds an example unless the category has enough or already has it.</summary>
    /// <returns>True when it was added.</returns>
    public bool AddExample(ReadOnlySpan<char> message, int limit)
    {
        if (Examples.Count >= limit)
        {
            return false;
        }

        // Cut to 1,000 UTF-8 bytes: 997 bytes of whole characters and "...".
        var cut = message;
        var needsEllipsis = false;
        if (Encoding.UTF8.GetByteCount(message) > MaxExampleBytes)
        {
            var bytes = 0;
            var chars = 0;
            while (chars < message.Length)
            {
                var n = char.IsHighSurrogate(message[chars]) && chars + 1 < message.Length ? 2 : 1;
                var b = Encoding.UTF8.GetByteCount(message.Slice(chars, n));
                if (bytes + b > MaxExampleBytes - 3)
                {
                    break;
                }

                bytes += b;
                chars += n;
            }

            cut = message[..chars];
            needsEllipsis = true;
        }

        var at = 0;
        for (; at < Examples.Count; at++)
        {
            var existing = Examples[at].AsSpan();
            var c = needsEllipsis
                ? (existing.StartsWith(cut, StringComparison.Ordinal) ? existing[cut.Length..].SequenceCompareTo("...") : existing.SequenceCompareTo(cut))
                : existing.SequenceCompareTo(cut);
            if (c == 0)
            {
                return false;
            }

            if (c > 0)
            {
                break;
            }
        }

        Examples.Insert(at, needsEllipsis ? string.Concat(cut, "...") : cut.ToString());
        Changed = true;
        return true;
    }

    /// <summary>The category's terms: ordered common tokens in order, then the other common tokens.</summary>
    public string Terms(IReadOnlyList<string> tokens)
    {
        if (_terms is null)
        {
            BuildSearch(tokens);
        }

        return _terms!;
    }

    /// <summary>The category's regex.</summary>
    public string Regex(IReadOnlyList<string> tokens)
    {
        if (_regex is null)
        {
            BuildSearch(tokens);
        }

        return _regex!;
    }

    /// <summary>
    /// The category's <c>grok_pattern</c> (<see cref="GrokPatternCreator.ForCategory"/>), kept until its regex is rebuilt or
    /// an example is added.
    /// </summary>
    /// <remarks>
    /// Examples are only ever added and a changed regex is a new string, so the cache is checked against the regex
    /// instance and the example count; the ingest path does not touch it.
    /// </remarks>
    public string GrokPattern(IReadOnlyList<string> tokens)
    {
        var regex = Regex(tokens);
        if (_grokPattern is null || !ReferenceEquals(regex, _grokRegex) || Examples.Count != _grokExamples)
        {
            _grokPattern = GrokPatternCreator.ForCategory(regex, Examples);
            _grokRegex = regex;
            _grokExamples = Examples.Count;
        }

        return _grokPattern;
    }

    /// <summary>Writes the category state.</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(Id);
        w.Write(Partition);
        w.Write(BaseIds.Length);
        for (var i = 0; i < BaseIds.Length; i++)
        {
            w.Write(BaseIds[i]);
            w.Write(BaseWeights[i]);
        }

        w.Write(BaseRawLength);
        w.Write(MaxStringLength);
        w.Write(OrderedBegin);
        w.Write(OrderedEnd);
        w.Write(CommonCount);
        for (var i = 0; i < CommonCount; i++)
        {
            w.Write(CommonIds[i]);
            w.Write(CommonWeights[i]);
        }

        w.Write(OriginalUniqueWeight);
        w.Write(NumMatches);
        w.Write(Changed);
        w.Write(Examples.Count);
        foreach (var e in Examples)
        {
            w.Write(e);
        }
    }

    /// <summary>Reads a category written by <see cref="Save"/>.</summary>
    public static TokenListCategory Load(BinaryReader r, int tokenCount)
    {
        var c = new TokenListCategory { Id = r.ReadInt32(), Partition = r.ReadInt32() };
        var n = r.ReadInt32();
        c.BaseIds = new int[n];
        c.BaseWeights = new int[n];
        for (var i = 0; i < n; i++)
        {
            c.BaseIds[i] = CheckToken(r.ReadInt32(), tokenCount);
            c.BaseWeights[i] = r.ReadInt32();
            c.BaseWeight += c.BaseWeights[i];
        }

        c.BaseRawLength = r.ReadInt32();
        c.MaxStringLength = r.ReadInt32();
        c.OrderedBegin = r.ReadInt32();
        c.OrderedEnd = r.ReadInt32();
        if (c.OrderedBegin < 0 || c.OrderedBegin > c.OrderedEnd || c.OrderedEnd > n)
        {
            throw new InvalidDataException("categorizer state: ordered token range out of bounds");
        }

        c.CommonCount = r.ReadInt32();
        c.CommonIds = new int[c.CommonCount];
        c.CommonWeights = new int[c.CommonCount];
        for (var i = 0; i < c.CommonCount; i++)
        {
            c.CommonIds[i] = CheckToken(r.ReadInt32(), tokenCount);
            c.CommonWeights[i] = r.ReadInt32();
            c.CommonWeight += c.CommonWeights[i];
        }

        c.OriginalUniqueWeight = r.ReadInt32();
        c.NumMatches = r.ReadInt64();
        c.Changed = r.ReadBoolean();
        var examples = r.ReadInt32();
        for (var i = 0; i < examples; i++)
        {
            c.Examples.Add(r.ReadString());
        }

        return c;

        static int CheckToken(int id, int count) =>
            id >= 0 && id < count ? id : throw new InvalidDataException("categorizer state: token id out of range");
    }

    /// <summary>Approximate bytes held.</summary>
    public long MemoryBytes
    {
        get
        {
            long bytes = 96 + (8L * BaseIds.Length) + (8L * CommonIds.Length);
            foreach (var e in Examples)
            {
                bytes += 24 + (2L * e.Length);
            }

            return bytes;
        }
    }

    private bool UpdateCommon(ReadOnlySpan<int> uniqueIds, ReadOnlySpan<int> uniqueWeights)
    {
        // Keep the common tokens the message has with the same weight (both lists sorted by id), in place.
        var changed = false;
        var kept = 0;
        var t = 0;
        for (var c = 0; c < CommonCount; c++)
        {
            while (t < uniqueIds.Length && uniqueIds[t] < CommonIds[c])
            {
                t++;
            }

            if (t < uniqueIds.Length && uniqueIds[t] == CommonIds[c] && uniqueWeights[t] == CommonWeights[c])
            {
                CommonIds[kept] = CommonIds[c];
                CommonWeights[kept] = CommonWeights[c];
                kept++;
            }
            else
            {
                CommonWeight -= CommonWeights[c];
                changed = true;
            }
        }

        CommonCount = kept;
        return changed;
    }

    private bool UpdateOrdered(ReadOnlySpan<int> ids)
    {
        var changed = false;
        while (OrderedEnd > OrderedBegin && !IsCommon(BaseIds[OrderedEnd - 1]))
        {
            OrderedEnd--;
            changed = true;
        }

        while (OrderedBegin < OrderedEnd && !IsCommon(BaseIds[OrderedBegin]))
        {
            OrderedBegin++;
            changed = true;
        }

        // Longest run of the ordered range (from some start) whose common tokens the message has in the same order
        // (ml-cpp's search, which needs no memory and stops at once in the usual case of nothing to change).
        var bestBegin = OrderedEnd;
        var bestEnd = OrderedEnd;
        for (var tryBegin = OrderedBegin; tryBegin < OrderedEnd; tryBegin++)
        {
            var next = 0;
            var complete = true;
            for (var i = tryBegin; i < OrderedEnd; i++)
            {
                if (!IsCommon(BaseIds[i]))
                {
                    continue;
                }

                while (next < ids.Length && ids[next] != BaseIds[i])
                {
                    next++;
                }

                if (next == ids.Length)
                {
                    if (i - tryBegin > bestEnd - bestBegin)
                    {
                        bestBegin = tryBegin;
                        bestEnd = i;
                    }

                    complete = false;
                    break;
                }
            }

            if (complete)
            {
                if (OrderedEnd - tryBegin > bestEnd - bestBegin)
                {
                    bestBegin = tryBegin;
                    bestEnd = OrderedEnd;
                }

                break;
            }
        }

        if (bestBegin != OrderedBegin || bestEnd != OrderedEnd)
        {
            OrderedBegin = bestBegin;
            OrderedEnd = bestEnd;
            changed = true;
        }

        return changed;
    }

    private void BuildSearch(IReadOnlyList<string> tokens)
    {
        if (CommonCount == 0)
        {
            _terms = "";
            _regex = "";
            return;
        }

        // Implementation note (ml-cpp's CTokenListReverseSearchCreator): a token costs (1 + length + 3 + length) ×
        // occurrences of a 10,000-character budget; tokens over the budget are left out (ml-cpp keeps the rarest first,
        // Vigil by token id). Then the base tokens are walked in order: every included common token is a term, and
        // those in the commonly ordered range also join the regex.
        var budget = 10_000;
        Span<bool> included = CommonCount <= 256 ? stackalloc bool[CommonCount] : new bool[CommonCount];
        for (var c = 0; c < CommonCount; c++)
        {
            var occurrences = 0;
            foreach (var b in BaseIds)
            {
                occurrences += b == CommonIds[c] ? 1 : 0;
            }

            var length = tokens[CommonIds[c]].Length;
            var cost = ((2 * length) + 4) * occurrences;
            if (cost <= budget)
            {
                budget -= cost;
                included[c] = true;
            }
        }

        var terms = new StringBuilder();
        var regex = new StringBuilder();
        var inOrder = 0;
        for (var i = 0; i < BaseIds.Length; i++)
        {
            var at = CommonIds.AsSpan(0, CommonCount).BinarySearch(BaseIds[i]);
            if (at < 0 || !included[at])
            {
                continue;
            }

            var token = tokens[BaseIds[i]];
            if (terms.Length > 0)
            {
                terms.Append(' ');
            }

            terms.Append(token);
            if (i >= OrderedBegin && i < OrderedEnd)
            {
                regex.Append(inOrder++ == 0 ? ".*?" : ".+?");
                EscapeRegex(regex, token);
            }
        }

        regex.Append(".*");
        _terms = terms.ToString();
        _regex = regex.ToString();
    }

    private static void EscapeRegex(StringBuilder regex, string token)
    {
        foreach (var ch in token)
        {
            if (ch is '\\' or '^' or '$' or '.' or '|' or '?' or '*' or '+' or '(' or ')' or '[' or ']' or '{' or '}')
            {
                regex.Append('\\');
            }

            regex.Append(ch);
        }
    }
}
