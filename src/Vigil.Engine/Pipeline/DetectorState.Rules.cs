using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>Detector custom rules: scopes resolved per series, <c>skip_result</c>, <c>skip_model_update</c> and
/// <c>force_time_shift</c>.</summary>
/// <remarks>
/// Implementation note (mirrors ml-cpp's <c>CDetectionRule</c> use in the models): <c>skip_result</c> rules are
/// checked against each series-bucket's result (per person × attribute value for population detectors, so a skipped
/// value takes no part in the person's result); <c>skip_model_update</c> rules against the bucket value (actual) and
/// the model's prediction before it learns the bucket (typical), and a match keeps the series' model (or, for a
/// population detector, the attribute's population model) from learning it. Whether a series is in a rule's scope
/// depends only on its split values and the filters, so it is worked out once per series (again after a filter
/// changes) on the scoring thread, and the parallel phase of <see cref="ScoreSeriesBatch"/> only reads it.
/// <para>Implementation note (mirrors ml-cpp's <c>CDetectionRule::addTimeShift</c> callback): a <c>force_time_shift</c>
/// rule is checked once per bucket, before the bucket is scored, against the bucket start and its <c>time</c> conditions
/// only; the first bucket it matches shifts the time of every model of the detector (<see cref="SeriesModelStore.ShiftTime"/>)
/// and the rule is marked applied, so it never shifts again. Unlike ml-cpp, whose applied flag lives in the rule object
/// (lost on a restart or a rule update, after which a rule that still matches shifts again), the applied rules are
/// remembered by their content (action amount, conditions, custom rule or event, and the ordinal among identical rules)
/// in the saved model state: a restart, a job update re-sending the rule or a calendar reload does not apply it twice.</para>
/// </remarks>
internal sealed partial class DetectorState
{
    private const int ScopeBy = 0;
    private const int ScopeOver = 1;
    private const int ScopePartition = 2;

    private DetectorRuleSpec[] _rules = [];
    private DetectorRuleSpec[] _userRules = [];
    private DetectorRuleSpec[] _eventRules = [];
    private HashSet<string>[][] _scopeItems = [];
    private int[][] _scopeField = [];
    private bool _hasSkipResult;
    private bool _hasSkipUpdate;
    private bool _hasScope;
    private bool _hasTimeShift;
    private string?[] _shiftKeys = [];
    private HashSet<string> _appliedShifts = new(StringComparer.Ordinal);
    private Func<int, SeriesResult, bool>? _learnGate;
    private bool[][] _inScope = [];
    private int _scopeKnown;
    private long _ruleTimeMs;

    /// <summary>The detector's custom rules (without the rules of scheduled events).</summary>
    internal IReadOnlyList<DetectorRuleSpec> Rules => _userRules;

    /// <summary>The rules the detector's scheduled events act as.</summary>
    internal IReadOnlyList<DetectorRuleSpec> EventRules => _eventRules;

    /// <summary>
    /// Replaces the items of filter <paramref name="filterId"/> in every scope entry naming it (ES sends an open job's
    /// process the new items after a filter update); scopes are worked out again at the next bucket.
    /// </summary>
    public void UpdateFilter(string filterId, IReadOnlyCollection<string> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (var r = 0; r < _rules.Length; r++)
        {
            var scope = _rules[r].Scope;
            for (var e = 0; e < scope.Count; e++)
            {
                if (scope[e].FilterId == filterId)
                {
                    _scopeItems[r][e] = new HashSet<string>(items, StringComparer.Ordinal);
                    _scopeKnown = 0;
                }
            }
        }

        // Keep the new items in the custom rules too, so that resolving the scopes again (when the scheduled events
        // change) does not bring the old items back.
        for (var r = 0; r < _userRules.Length; r++)
        {
            var scope = _userRules[r].Scope;
            List<RuleScopeSpec>? updated = null;
            for (var e = 0; e < scope.Count; e++)
            {
                if (scope[e].FilterId == filterId)
                {
                    updated ??= [.. scope];
                    updated[e] = scope[e] with { Items = [.. items] };
                }
            }

            if (updated is not null)
            {
                _userRules[r] = _userRules[r] with { Scope = updated };
                _rules[r] = _userRules[r];
            }
        }
    }

    /// <summary>
    /// Sets the detector's custom rules (at construction, and when a job update replaces them while the job is open:
    /// ES sends an open job's process the new rules, which apply from the next bucket scored).
    /// </summary>
    /// <exception cref="ArgumentException">A scope entry names a field that is not one of the detector's split fields.</exception>
    public void SetRules(IReadOnlyList<DetectorRuleSpec>? rules)
    {
        DetectorRuleSpec[] list = rules is { Count: > 0 } ? [.. rules] : [];
        ApplyRules(list, _eventRules);
        _userRules = list;
    }

    /// <summary>
    /// Sets the rules the job's scheduled events act as (time-conditioned, no scope), kept apart from the custom rules
    /// so that a job update replacing those leaves them alone.
    /// </summary>
    /// <remarks>
    /// Implementation note (mirrors ES/ml-cpp: ES turns each scheduled event into a detection rule with the conditions
    /// <c>time gte</c> the start rounded down to the bucket span and <c>time lt</c> the end rounded up, with the event's
    /// <c>skip_result</c> and <c>skip_model_update</c> actions, and ml-cpp applies those rules to every detector).
    /// </remarks>
    public void SetEventRules(IReadOnlyList<DetectorRuleSpec>? rules)
    {
        DetectorRuleSpec[] list = rules is { Count: > 0 } ? [.. rules] : [];
        ApplyRules(_userRules, list);
        _eventRules = list;
    }

    /// <summary>Makes the custom rules followed by the event rules the rules the detector checks.</summary>
    private void ApplyRules(DetectorRuleSpec[] user, DetectorRuleSpec[] events)
    {
        DetectorRuleSpec[] list = events.Length == 0 ? user : [.. user, .. events];
        (_scopeItems, _scopeField) = ResolveScopes(Spec, list);
        _rules = list;
        _inScope = new bool[list.Length][];
        _hasSkipResult = _hasSkipUpdate = _hasScope = false;
        for (var r = 0; r < list.Length; r++)
        {
            _inScope[r] = [];
            _hasSkipResult |= list[r].SkipResult;
            _hasSkipUpdate |= list[r].SkipModelUpdate;
            _hasScope |= list[r].HasScope;
        }

        _shiftKeys = ShiftKeys(list, user.Length);
        _hasTimeShift = false;
        foreach (var key in _shiftKeys)
        {
            _hasTimeShift |= key is not null;
        }

        _scopeKnown = 0;
        _learnGate = _hasSkipUpdate ? ShouldLearn : null;
    }

    /// <summary>The identity under which each <c>force_time_shift</c> rule is remembered as applied (null for other rules).</summary>
    /// <param name="rules">The custom rules followed by the event rules.</param>
    /// <param name="userCount">How many of <paramref name="rules"/> are custom rules.</param>
    private static string?[] ShiftKeys(DetectorRuleSpec[] rules, int userCount)
    {
        var keys = new string?[rules.Length];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < rules.Length; r++)
        {
            if (rules[r].ForceTimeShiftSeconds is not { } amount)
            {
                continue;
            }

            var key = new StringBuilder();
            key.Append(r < userCount ? "rule|" : "event|").Append(amount.ToString(CultureInfo.InvariantCulture));
            foreach (var c in rules[r].Conditions)
            {
                key.Append('|').Append((int)c.AppliesTo).Append(',').Append((int)c.Operator).Append(',')
                    .Append(c.Value.ToString("R", CultureInfo.InvariantCulture));
            }

            var content = key.ToString();
            seen.TryGetValue(content, out var ordinal);
            seen[content] = ordinal + 1;
            keys[r] = content + "#" + ordinal.ToString(CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>
    /// The <c>force_time_shift</c> rules not applied yet whose <c>time</c> conditions hold for the bucket starting at
    /// <paramref name="bucketStartMs"/>: with <paramref name="apply"/>, every model store of the detector shifts its time
    /// by them (before the bucket is scored, on the scoring thread, never from the parallel chunks) and they are marked
    /// applied; without (interim results), nothing changes.
    /// </summary>
    /// <returns>The sum of their shifts, in milliseconds.</returns>
    private long TimeShiftDue(long bucketStartMs, bool apply)
    {
        if (!_hasTimeShift)
        {
            return 0;
        }

        long total = 0;
        for (var r = 0; r < _rules.Length; r++)
        {
            var key = _shiftKeys[r];
            if (key is null || _appliedShifts.Contains(key) || !_rules[r].MatchesTime(bucketStartMs))
            {
                continue;
            }

            var shiftMs = _rules[r].ForceTimeShiftSeconds!.Value * 1000;
            total += shiftMs;
            if (!apply)
            {
                continue;
            }

            foreach (var store in _stores)
            {
                store.ShiftTime(shiftMs);
            }

            _appliedShifts.Add(key);
        }

        return total;
    }

    /// <summary>The <c>force_time_shift</c> rules applied so far (by identity), for tests.</summary>
    internal IReadOnlyCollection<string> AppliedTimeShifts => _appliedShifts;

    /// <summary>Forgets the applied <c>force_time_shift</c> rules (a state written before they existed).</summary>
    public void ClearAppliedShifts() => _appliedShifts = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Writes the applied <c>force_time_shift</c> rules (count, then length-prefixed UTF-8 identities, sorted).</summary>
    public void SaveAppliedShifts(IBufferWriter<byte> writer)
    {
        var keys = new List<string>(_appliedShifts);
        keys.Sort(StringComparer.Ordinal);
        var header = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(header, keys.Count);
        writer.Advance(4);
        foreach (var key in keys)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            var length = writer.GetSpan(4);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            writer.Advance(4);
            ColumnIo.Write<byte>(writer, bytes);
        }
    }

    /// <summary>Restores what <see cref="SaveAppliedShifts"/> wrote.</summary>
    public void LoadAppliedShifts(ref ReadOnlySpan<byte> source)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(source);
        source = source[4..];
        var applied = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(source);
            applied.Add(Encoding.UTF8.GetString(source.Slice(4, length)));
            source = source[(4 + length)..];
        }

        _appliedShifts = applied;
    }

    /// <summary>Checks the rules against the detector and resolves each scope entry's field.</summary>
    /// <exception cref="ArgumentException">A scope entry names a field that is not one of the detector's split fields.</exception>
    private static (HashSet<string>[][] Items, int[][] Fields) ResolveScopes(DetectorSpec spec, DetectorRuleSpec[] rules)
    {
        var items = new HashSet<string>[rules.Length][];
        var fields = new int[rules.Length][];
        for (var r = 0; r < rules.Length; r++)
        {
            var scope = rules[r].Scope;
            items[r] = new HashSet<string>[scope.Count];
            fields[r] = new int[scope.Count];
            for (var e = 0; e < scope.Count; e++)
            {
                var entry = scope[e];
                fields[r][e] = entry.FieldName == spec.ByFieldName ? ScopeBy
                    : entry.FieldName == spec.OverFieldName ? ScopeOver
                    : entry.FieldName == spec.PartitionFieldName ? ScopePartition
                    : throw new ArgumentException($"scope field '{entry.FieldName}' is not a split field of detector {spec.Index}", nameof(spec));
                items[r][e] = new HashSet<string>(entry.Items, StringComparer.Ordinal);
            }
        }

        return (items, fields);
    }

    /// <summary>Works out, for the series added since the last call (all after a filter update), which scoped rules cover them.</summary>
    private void RefreshScopes(ValueInterner?[] interners)
    {
        var n = _series.Count;
        if (!_hasScope || _scopeKnown >= n)
        {
            return;
        }

        for (var r = 0; r < _rules.Length; r++)
        {
            if (!_rules[r].HasScope)
            {
                continue;
            }

            if (_inScope[r].Length < n)
            {
                Array.Resize(ref _inScope[r], Math.Max(n, Math.Max(16, _inScope[r].Length * 2)));
            }

            for (var s = _scopeKnown; s < n; s++)
            {
                _inScope[r][s] = ComputeInScope(r, s, interners);
            }
        }

        _scopeKnown = n;
    }

    /// <summary>Whether series <paramref name="s"/> is in the scope of rule <paramref name="r"/>, from its split values and the filters.</summary>
    private bool ComputeInScope(int r, int s, ValueInterner?[] interners)
    {
        var entries = _scopeItems[r];
        var fields = _scopeField[r];
        var scope = _rules[r].Scope;
        var inScope = true;
        for (var e = 0; e < entries.Length && inScope; e++)
        {
            var value = fields[e] switch
            {
                ScopeBy => ValueOf(interners, ByIndex, _series.By(s)),
                ScopeOver => ValueOf(interners, OverIndex, _series.Over(s)),
                _ => ValueOf(interners, PartitionIndex, _series.Partition(s)),
            };
            inScope = entries[e].Contains(value ?? string.Empty) == scope[e].Include;
        }

        return inScope;
    }

    /// <summary>Whether rule <paramref name="r"/> applies to series <paramref name="s"/> with these values.</summary>
    /// <remarks>An interim pass does not refresh the scope cache: a series added since the last bucket is looked up directly.</remarks>
    private bool Applies(int r, int s, double actual, double typical, long timeMs) =>
        (!_rules[r].HasScope || (s < _scopeKnown ? _inScope[r][s] : ComputeInScope(r, s, _scopeInterners)))
        && _rules[r].Matches(actual, typical, timeMs);

    /// <summary>Whether a <c>skip_result</c> rule applies to the series-bucket (the model still learned from it unless a
    /// <c>skip_model_update</c> rule applied too).</summary>
    private bool SkipsResult(int s, in SeriesResult result, long timeMs)
    {
        if (!_hasSkipResult)
        {
            return false;
        }

        for (var r = 0; r < _rules.Length; r++)
        {
            if (_rules[r].SkipResult && Applies(r, s, result.Actual, result.Typical, timeMs))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a <c>skip_model_update</c> rule applies to the series-bucket.</summary>
    private bool SkipsUpdate(int s, double actual, double typical, long timeMs)
    {
        if (!_hasSkipUpdate)
        {
            return false;
        }

        for (var r = 0; r < _rules.Length; r++)
        {
            if (_rules[r].SkipModelUpdate && Applies(r, s, actual, typical, timeMs))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The learn gate given to <see cref="SeriesModelStore.ScoreThenUpdate"/>: false when a
    /// <c>skip_model_update</c> rule applies (read-only, so safe on the parallel scoring threads).</summary>
    private bool ShouldLearn(int s, SeriesResult result) => !SkipsUpdate(s, result.Actual, result.Typical, _ruleTimeMs);
}
