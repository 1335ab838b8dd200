using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Categorization;
using Vigil.Engine.Input;
using Vigil.Engine.Results;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// The analysis pipeline of one anomaly detection job: accumulates records into per-series bucket
/// statistics, and at bucket close scores every series against its model, aggregates and
/// normalizes the scores, and produces ES result documents (records, influencers, bucket).
/// </summary>
/// <remarks>
/// <para>Functions: count, high_count, low_count, non_zero_count (±), distinct_count (±),
/// info_content (±), mean/avg, median, min, max, sum, non_null_sum, varp, metric (min + max + mean)
/// and their high_/low_ forms, time_of_day, time_of_week, lat_long (by, partition and over), rare (by; and by
/// over for population rare), freq_rare (by over). Splits: by, partition and over (population analysis, see
/// <see cref="PopulationModel"/>). <c>exclude_frequent</c> (all, none, by, over) drops frequent by/over values
/// from results and model updates (see <see cref="DetectorState"/>). Custom rules: condition-only
/// <c>skip_result</c> on by/partition detectors. Not implemented: other detector rules, scheduled events,
/// model plot for population detectors, interim count correction by expected fraction.</para>
/// <para>Buckets are aligned to the epoch. The caller (the job processor) decides when a bucket
/// closes and calls <see cref="CloseBucket"/> for it; a bucket stays open for records until then.
/// Up to <c>latency / bucket_span + 2</c> buckets can be open at once; a record for a bucket that
/// is already closed is dropped and counted in <see cref="LateRecords"/>, and a record beyond the
/// open window is a caller error (<see cref="InvalidOperationException"/>).</para>
/// <para>Implementation note (mirrors ml-cpp's hierarchical results, simplified): each series-bucket
/// gets a probability from its model; the detector's probability combines its series with
/// <see cref="BucketScoreAggregator"/> (ml-cpp's joint + extreme rule), and the bucket's combines
/// the detectors the same way. Records are written for series with p ≤ 0.035 (ml-cpp's
/// <c>maximum_anomalous_probability</c>: raw score 0 above it). Record scores are normalized per
/// detector feature with one scope per (partition, person) series; bucket, bucket-influencer and
/// influencer scores have their own normalizers (influencer scope = influencer value).</para>
/// <para>Influence (ml-cpp §1.5, simplified): an influencer that is also the detector's by, over or
/// partition field is an indicator (influence 1). Otherwise, for each value present in the anomalous
/// series-bucket: complement rule for count, sum and mean/median (remove the value's records,
/// re-score against a normal approximation of the model built from typical and the 95% bounds;
/// influence 1 − ln pᵢ / ln p), intersection rule for min and max (score the value's own min/max;
/// influence ln pᵢ / ln p), and the value's share of the series' records for varp, distinct_count,
/// info_content and time functions. Values below 0.5 / max(−ln p, 1) are dropped; a single value has
/// influence 1; low_count, low_sum, low_distinct_count and low_info_content get no influencers
/// except indicator ones. An influencer's probability is min over its records of p^influence.</para>
/// </remarks>
public sealed class AnomalyDetectorPipeline : IRecordSink
{
    private const int StateMagic = 0x50444756; // "VGDP"
    // Version 2 adds the exclude_frequent presence block of each detector, version 3 the applied force_time_shift rules
    // of each detector (at the end of the scoring state); version 1 and 2 states still load.
    private const int StateVersion = 3;

    private static readonly InfluenceComparer InfluenceOrder = new();

    private readonly AnalysisSpec _spec;
    private readonly long _spanMs;
    private readonly long _spanSeconds;
    private ScheduledEventSpec[] _events = [];
    private (long StartMs, long EndMs)[] _eventWindows = [];
    private readonly int _generations;
    private readonly int _summaryIndex;
    private readonly DetectorState[] _detectors;
    private readonly int[] _influencerFields;
    private readonly long[] _genBucket;
    private readonly double[] _eventCount;
    private readonly BucketScoreAggregator _root = new();
    private readonly BucketScoreAggregator _fieldAggregator = new();
    private readonly LeafBuffer _candidates = new();
    private readonly List<ModelPlotDocument> _plots = [];
    private readonly Dictionary<long, int> _influencerIndex = [];
    private readonly HashSet<long> _presentInfluencers = [];
    private int[] _presentPerField = [];

    /// <summary>Whether influencer scores take the family-wise ceiling: false when every detector is rare or freq_rare.</summary>
    private readonly bool _influencerFamilyWise;
    private readonly List<string> _valueScratch = [];
    private readonly ValueInterner?[] _interners;
    private readonly RecordValueCache _valueCache;
    private ScoreNormalizer _bucketNormalizer;
    private ScoreNormalizer[] _bucketInfluencerNormalizers;
    private ScoreNormalizer[] _influencerNormalizers;
    private long _nextToClose = long.MinValue;
    private InfluenceEntry[] _influences = new InfluenceEntry[64];
    private int _influenceCount;
    private int[][] _heads;
    private int[] _next = new int[64];
    private int[] _infSlot = new int[16];
    private int[] _infValue = new int[16];
    private double[] _infLogP = new double[16];
    private int _infCount;

    // Categorization (mlcategory): the categorizer, the categorization field, the virtual mlcategory field (one past
    // the analysis fields) and, with per-partition categorization, the partition field; −1 when unused.
    private readonly TokenListCategorizer? _categorizer;
    private readonly int _categorizationField = -1;
    private readonly int _mlCategoryField = -1;
    private readonly int _categoryPartitionField = -1;

    /// <summary>Creates the pipeline of a job.</summary>
    /// <exception cref="ArgumentException">A field the detectors need is not in <see cref="AnalysisSpec.AnalysisFields"/>,
    /// or the bucket span is not a positive whole number of seconds.</exception>
    /// <exception cref="NotSupportedException">A detector uses a function or split the pipeline does not implement yet.</exception>
    public AnomalyDetectorPipeline(AnalysisSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.BucketSpanMs <= 0 || spec.BucketSpanMs % 1000 != 0)
        {
            throw new ArgumentException("bucket span must be a positive whole number of seconds", nameof(spec));
        }

        _spec = spec;
        _spanMs = spec.BucketSpanMs;
        _spanSeconds = spec.BucketSpanMs / 1000;
        _generations = (int)Math.Min(64, Math.Max(0, spec.LatencyMs) / _spanMs) + 2;
        _genBucket = new long[_generations];
        Array.Fill(_genBucket, long.MinValue);
        _eventCount = new double[_generations];
        _interners = new ValueInterner?[spec.AnalysisFields.Count + (spec.Categorization is null ? 0 : 1)];
        _valueCache = new RecordValueCache(_interners);
        if (spec.Categorization is { } categorization)
        {
            _categorizationField = FieldIndex(categorization.FieldName);
            _mlCategoryField = spec.AnalysisFields.Count;
            _interners[_mlCategoryField] = new ValueInterner();
            _categorizer = new TokenListCategorizer(MessageAnalyzer.Create(categorization.AnalyzerJson, categorization.Filters),
                categorization.ExamplesLimit, categorization.PartitionFieldName is not null && categorization.StopOnWarn);
            if (categorization.PartitionFieldName is { } partitionField)
            {
                _categoryPartitionField = InternedField(partitionField);
            }
        }
        _summaryIndex = spec.SummaryCountFieldName is null ? -1 : FieldIndex(spec.SummaryCountFieldName);

        _influencerFields = new int[spec.Influencers.Count];
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _influencerFields[k] = InternedField(spec.Influencers[k]);
        }

        _detectors = new DetectorState[spec.Detectors.Count];
        foreach (var ds in spec.Detectors)
        {
            _influencerFamilyWise |= DetectorFunction.TryParse(ds.Function) is { Rare: false, FreqRare: false };
        }

        _heads = new int[_detectors.Length][];
        for (var d = 0; d < _detectors.Length; d++)
        {
            var ds = spec.Detectors[d];
            var function = DetectorFunction.TryParse(ds.Function)
                ?? throw new NotSupportedException($"function '{ds.Function}' is not supported by the analysis pipeline");
            if (function.Rare && ds.ByFieldName is null)
            {
                throw new ArgumentException($"by_field_name must be set when the '{function.Name}' function is used", nameof(spec));
            }

            if (function.FreqRare && ds.OverFieldName is null)
            {
                throw new ArgumentException("over_field_name must be set when the 'freq_rare' function is used", nameof(spec));
            }

            var fieldIndex = ds.FieldName is null ? -1 : FieldIndex(ds.FieldName);
            if ((function.NeedsNumber || function.LatLong || function.Features[0] is BucketFeature.DistinctCount or BucketFeature.InfoContent)
                && fieldIndex < 0)
            {
                throw new ArgumentException($"field_name must be set when the '{function.Name}' function is used", nameof(spec));
            }

            var by = ds.ByFieldName is null ? -1 : InternedField(ds.ByFieldName);
            var over = ds.OverFieldName is null ? -1 : InternedField(ds.OverFieldName);
            var partition = ds.PartitionFieldName is null ? -1 : InternedField(ds.PartitionFieldName);
            var accumulated = new List<InfluencerSlot>();
            for (var k = 0; k < _influencerFields.Length; k++)
            {
                var name = spec.Influencers[k];
                if (name != ds.ByFieldName && name != ds.OverFieldName && name != ds.PartitionFieldName)
                {
                    accumulated.Add(new InfluencerSlot(k, _influencerFields[k]));
                }
            }

            _detectors[d] = new DetectorState(d, ds, function, spec, _generations, fieldIndex, by, over, partition, [.. accumulated]);
            _heads[d] = [];
        }

        _bucketNormalizer = new ScoreNormalizer(_spanSeconds);
        _bucketInfluencerNormalizers = new ScoreNormalizer[_influencerFields.Length];
        _influencerNormalizers = new ScoreNormalizer[_influencerFields.Length];
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _bucketInfluencerNormalizers[k] = new ScoreNormalizer(_spanSeconds);
            _influencerNormalizers[k] = new ScoreNormalizer(_spanSeconds);
        }
    }

    /// <summary>The spec the pipeline was built from.</summary>
    public AnalysisSpec Spec => _spec;

    /// <summary>The detectors' states, in configuration order.</summary>
    internal IReadOnlyList<DetectorState> Detectors => _detectors;

    /// <summary>Replaces the custom rules of detector <paramref name="detector"/> (position in the config) from the next bucket scored.</summary>
    public void SetRules(int detector, IReadOnlyList<DetectorRuleSpec>? rules) => _detectors[detector].SetRules(rules);

    /// <summary>
    /// Replaces the job's scheduled events (from its calendars) from the next bucket scored: each acts as a
    /// time-conditioned rule on every detector, and the buckets it covers list its description in
    /// <c>scheduled_events</c>.
    /// </summary>
    public void SetScheduledEvents(IReadOnlyList<ScheduledEventSpec>? events)
    {
        ScheduledEventSpec[] list = events is { Count: > 0 } ? [.. events] : [];
        var rules = new DetectorRuleSpec[list.Length];
        _eventWindows = new (long StartMs, long EndMs)[list.Length];
        for (var i = 0; i < list.Length; i++)
        {
            rules[i] = list[i].ToRule(_spanSeconds);
            var (start, end) = list[i].BucketWindow(_spanSeconds);
            _eventWindows[i] = (start * 1000, end * 1000);
        }

        _events = list;
        foreach (var d in _detectors)
        {
            d.SetEventRules(rules);
        }
    }

    /// <summary>The job's scheduled events.</summary>
    public IReadOnlyList<ScheduledEventSpec> ScheduledEvents => _events;

    /// <summary>Gives custom rule scopes naming filter <paramref name="filterId"/> its new items (a filter update while the job is open).</summary>
    public void UpdateFilter(string filterId, IReadOnlyCollection<string> items)
    {
        foreach (var d in _detectors)
        {
            d.UpdateFilter(filterId, items);
        }
    }

    /// <summary>
    /// Most threads one detector uses to score the series of a large bucket (default: the processor count).
    /// Results do not depend on it; 1 scores on the calling thread only.
    /// </summary>
    public int ScoringThreads
    {
        get => _detectors.Length > 0 ? _detectors[0].ScoringThreads : 1;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            foreach (var d in _detectors)
            {
                d.ScoringThreads = value;
            }
        }
    }

    /// <summary>The job's score normalizers as they are now, for renormalizing stored results.</summary>
    public ResultNormalizers Normalizers
    {
        get
        {
            var records = new ScoreNormalizer[]?[_detectors.Length == 0 ? 0 : MaxDetectorIndex() + 1];
            foreach (var d in _detectors)
            {
                var features = new ScoreNormalizer[d.Function.Features.Length];
                for (var f = 0; f < features.Length; f++)
                {
                    features[f] = d.Normalizer(f);
                }

                records[d.Spec.Index] = features;
            }

            return new ResultNormalizers(_bucketNormalizer, _spec.Influencers, _bucketInfluencerNormalizers, _influencerNormalizers, records);

            int MaxDetectorIndex()
            {
                var max = 0;
                foreach (var d in _detectors)
                {
                    max = Math.Max(max, d.Spec.Index);
                }

                return max;
            }
        }
    }

    /// <summary>Records dropped because their bucket was already closed.</summary>
    public long LateRecords { get; private set; }

    /// <summary>Records skipped because the summary count field was missing or not a positive number.</summary>
    public long RecordsWithoutSummaryCount { get; private set; }

    /// <summary>Bytes of model state: series models, interners, series indexes, accumulators and normalizers.</summary>
    public long ModelBytes
    {
        get
        {
            long bytes = 0;
            foreach (var d in _detectors)
            {
                bytes += d.MemoryBytes;
            }

            foreach (var i in _interners)
            {
                bytes += i?.MemoryBytes ?? 0;
            }

            bytes += _categorizer?.MemoryBytes ?? 0;

            // Each normalizer holds a 1,200-bin histogram (9.6 kB) plus 16 bytes per scope: record
            // normalizers have one scope per series, influencer normalizers one per influencer value.
            const long Histogram = 9_600;
            bytes += (1 + (2L * _influencerFields.Length)) * Histogram;
            foreach (var d in _detectors)
            {
                bytes += d.Function.Features.Length * (Histogram + (16L * Math.Min(d.Series.Count, 1 << 20)));
            }

            foreach (var influencerField in _influencerFields)
            {
                bytes += 16L * Math.Min(_interners[influencerField]!.Count, 1 << 20);
            }
            return bytes;
        }
    }

    /// <summary>Distinct by field values (summed over distinct by fields), for <c>model_size_stats.total_by_field_count</c>.</summary>
    public int ByFieldCount => DistinctValues(0);

    /// <summary>Distinct over field values, for <c>total_over_field_count</c>.</summary>
    public int OverFieldCount => DistinctValues(1);

    /// <summary>Distinct partition field values, for <c>total_partition_field_count</c>.</summary>
    public int PartitionFieldCount => DistinctValues(2);

    /// <summary>Start (epoch ms) of the oldest bucket not yet closed, or null before any record or close.</summary>
    public long? OpenBucketStartMs => _nextToClose == long.MinValue ? null : _nextToClose * _spanMs;

    /// <summary>Accumulates one record into its bucket. Allocation-free for existing series.</summary>
    public void OnRecord(long timeMs, scoped in RecordFields fields)
    {
        var bi = FloorDiv(timeMs, _spanMs);
        if (_nextToClose == long.MinValue)
        {
            _nextToClose = bi;
        }

        if (bi < _nextToClose)
        {
            LateRecords++;
            return;
        }

        if (bi >= _nextToClose + _generations)
        {
            ThrowBeyondWindow(timeMs);
        }

        var weight = 1.0;
        if (_summaryIndex >= 0)
        {
            if (!fields.TryGetNumber(_summaryIndex, out weight) || !(weight > 0) || !double.IsFinite(weight))
            {
                RecordsWithoutSummaryCount++;
                return;
            }
        }

        var slot = (int)(((bi % _generations) + _generations) % _generations);
        if (_genBucket[slot] != bi)
        {
            _genBucket[slot] = bi;
            _eventCount[slot] = 0;
            foreach (var d in _detectors)
            {
                d.BeginGeneration(slot, bi);
            }
        }

        _eventCount[slot] += weight;
        var interners = _interners;
        _valueCache.Next();
        if (_categorizer is not null)
        {
            Categorize(fields);
        }
        foreach (var d in _detectors)
        {
            d.OnRecord(slot, bi, timeMs, fields, weight, interners, _valueCache);
        }
    }

    /// <summary>
    /// Closes the bucket starting at <paramref name="bucketStartMs"/>: scores every series, updates
    /// the models and writes the bucket's results to <paramref name="sink"/>. Earlier buckets that
    /// are still open are closed first (each producing its results); closing a bucket that is already
    /// closed does nothing.
    /// </summary>
    public void CloseBucket(long bucketStartMs, IResultSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var bi = AlignedIndex(bucketStartMs);
        if (_nextToClose == long.MinValue)
        {
            _nextToClose = bi;
        }

        if (bi < _nextToClose)
        {
            return;
        }

        while (_nextToClose <= bi)
        {
            Process(_nextToClose, sink, interim: false);
            _nextToClose++;
        }
    }

    /// <summary>
    /// <c>_data</c> with <c>reset_start</c>/<c>reset_end</c>: drops what was gathered for the open buckets that
    /// start in [<paramref name="startMs"/>, <paramref name="endMs"/>), so data sent again for them is analysed
    /// once. Finalized buckets are not touched (as in ml-cpp, only buckets inside the latency window can be reset).
    /// </summary>
    /// <returns>How many open buckets were reset.</returns>
    public int ResetBuckets(long startMs, long endMs)
    {
        var from = AlignedIndex(startMs);
        var reset = 0;
        for (var slot = 0; slot < _generations; slot++)
        {
            var bucket = _genBucket[slot];
            if (bucket == long.MinValue || bucket < from || bucket * _spanMs >= endMs)
            {
                continue;
            }

            foreach (var d in _detectors)
            {
                d.EndGeneration(slot);
            }

            _genBucket[slot] = long.MinValue;
            reset++;
        }

        return reset;
    }

    /// <summary>
    /// Flush <c>skip_time</c>: moves the next bucket to close to <paramref name="bucketStartMs"/> without
    /// producing results or updating models; what was gathered for the skipped buckets is dropped.
    /// </summary>
    public void SkipTo(long bucketStartMs)
    {
        var bi = AlignedIndex(bucketStartMs);
        if (_nextToClose != long.MinValue && bi <= _nextToClose)
        {
            return;
        }

        for (var slot = 0; slot < _generations; slot++)
        {
            if (_genBucket[slot] != long.MinValue && _genBucket[slot] < bi)
            {
                foreach (var d in _detectors)
                {
                    d.EndGeneration(slot);
                }

                _genBucket[slot] = long.MinValue;
            }
        }

        _nextToClose = bi;
    }

    /// <summary>
    /// Writes interim results for the open bucket starting at <paramref name="bucketStartMs"/>
    /// (<c>is_interim: true</c>), scoring it with the models as they are, without changing any model,
    /// normalizer or accumulator: a later <see cref="CloseBucket"/> gives the same final results (and <see cref="Save"/>
    /// the same state) as if this call had not happened.
    /// </summary>
    /// <remarks>
    /// A score-only pass: the detectors score the bucket with <see cref="SeriesModelStore.Score"/> (the result
    /// <see cref="SeriesModelStore.ScoreThenUpdate"/> would give, nothing written) and skip every learning step
    /// (population models, rare counts, exclude_frequent presence into scratch copies, no time shift applied, no rule
    /// scope cached), and every normalizer runs in interim mode (<see cref="ScoreNormalizer.BeginInterim"/>): the bucket's
    /// scores are normalized as a close would normalize them now, but learned only into scratch. With 100,000 series
    /// (bench <c>PipelineInterimBenchmark</c>) a call took 107 ms where a close took 133 ms in the same run (a loaded
    /// 2-core machine): scoring the values is most of a close, and only the model updates are saved. It allocates only the
    /// result documents (758 KB for 1,902 records, as the close of the bucket does), where saving and restoring the whole
    /// scoring state cost 437 ms and 624 MB.
    /// </remarks>
    public void EmitInterim(long bucketStartMs, IResultSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var bi = AlignedIndex(bucketStartMs);
        if (_nextToClose != long.MinValue && bi < _nextToClose)
        {
            return;
        }

        BeginInterim(bi);
        try
        {
            Process(bi, sink, interim: true);
        }
        finally
        {
            EndInterim();
        }
    }

    /// <summary>
    /// Interim results the way they were computed before the score-only pass: the whole scoring state is saved, the
    /// bucket closed as usual and the state restored. Kept for tests that check <see cref="EmitInterim"/> against it.
    /// </summary>
    internal void EmitInterimBySnapshot(long bucketStartMs, IResultSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var bi = AlignedIndex(bucketStartMs);
        if (_nextToClose != long.MinValue && bi < _nextToClose)
        {
            return;
        }

        var snapshot = new ArrayBufferWriter<byte>();
        SaveScoringState(snapshot);
        Process(bi, sink, interim: true);
        var source = snapshot.WrittenSpan;
        LoadScoringState(ref source, StateVersion);
    }

    private void BeginInterim(long bi)
    {
        _bucketNormalizer.BeginInterim(bi);
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _bucketInfluencerNormalizers[k].BeginInterim(bi);
            _influencerNormalizers[k].BeginInterim(bi);
        }

        foreach (var d in _detectors)
        {
            d.BeginInterim(bi);
        }
    }

    private void EndInterim()
    {
        _bucketNormalizer.EndInterim();
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _bucketInfluencerNormalizers[k].EndInterim();
            _influencerNormalizers[k].EndInterim();
        }

        foreach (var d in _detectors)
        {
            d.EndInterim();
        }
    }

    /// <summary>
    /// Writes the pipeline state: interned values, series, models and normalizers. Accumulators of
    /// open buckets are not saved (as ES, the first partial bucket after a restore is incomplete).
    /// </summary>
    public void Save(IBufferWriter<byte> w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var header = w.GetSpan(20);
        BinaryPrimitives.WriteInt32LittleEndian(header, StateMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], StateVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], _nextToClose);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], _interners.Length);
        w.Advance(20);
        foreach (var interner in _interners)
        {
            var flag = w.GetSpan(1);
            flag[0] = interner is null ? (byte)0 : (byte)1;
            w.Advance(1);
            interner?.Save(w);
        }

        foreach (var d in _detectors)
        {
            d.SaveSeries(w);
        }

        SaveScoringState(w);
        if (_categorizer is { } categorizer)
        {
            // The categorizer follows the scoring state (only jobs with categorization have it; their states always do).
            DetectorState.WriteBlock(w, b =>
            {
                using var stream = new MemoryStream();
                categorizer.Save(stream);
                b.Write(stream.GetBuffer().AsSpan(0, (int)stream.Length));
            });
        }
    }

    /// <summary>Restores a pipeline written by <see cref="Save"/> for the same spec.</summary>
    /// <exception cref="InvalidDataException">The state is not a pipeline state or does not match the spec.</exception>
    public static AnomalyDetectorPipeline Load(AnalysisSpec spec, ReadOnlySpan<byte> state)
    {
        var p = new AnomalyDetectorPipeline(spec);
        if (state.Length < 20 || BinaryPrimitives.ReadInt32LittleEndian(state) != StateMagic)
        {
            throw new InvalidDataException("not an analysis pipeline state");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(state[4..]);
        if (version is < 1 or > StateVersion)
        {
            throw new InvalidDataException("unsupported analysis pipeline state version");
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(state[16..]) != p._interners.Length)
        {
            throw new InvalidDataException("analysis pipeline state was written for different analysis fields");
        }

        p._nextToClose = BinaryPrimitives.ReadInt64LittleEndian(state[8..]);
        var source = state[20..];
        for (var i = 0; i < p._interners.Length; i++)
        {
            var present = source[0] == 1;
            source = source[1..];
            if (present != (p._interners[i] is not null))
            {
                throw new InvalidDataException("analysis pipeline state was written for different split fields");
            }

            if (present)
            {
                p._interners[i] = ValueInterner.Load(ref source);
            }
        }

        foreach (var d in p._detectors)
        {
            d.LoadSeries(ref source);
        }

        p.LoadScoringState(ref source, version);
        if (p._categorizer is { } categorizer && source.Length >= 4)
        {
            using var stream = new MemoryStream(DetectorState.ReadBlock(ref source).ToArray(), writable: false);
            categorizer.Load(stream);
        }

        return p;
    }

    private void SaveScoringState(IBufferWriter<byte> w)
    {
        foreach (var d in _detectors)
        {
            d.SaveModels(w);
        }

        DetectorState.WriteBlock(w, _bucketNormalizer.Save);
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            DetectorState.WriteBlock(w, _bucketInfluencerNormalizers[k].Save);
            DetectorState.WriteBlock(w, _influencerNormalizers[k].Save);
        }

        // State version 3: the force_time_shift rules each detector has applied (the shift itself is in its model stores).
        foreach (var d in _detectors)
        {
            d.SaveAppliedShifts(w);
        }
    }

    private void LoadScoringState(ref ReadOnlySpan<byte> source, int version)
    {
        foreach (var d in _detectors)
        {
            d.LoadModels(ref source, hasPresence: version >= 2);
        }

        _bucketNormalizer = ScoreNormalizer.Load(DetectorState.ReadBlock(ref source), _spanSeconds);
        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _bucketInfluencerNormalizers[k] = ScoreNormalizer.Load(DetectorState.ReadBlock(ref source), _spanSeconds);
            _influencerNormalizers[k] = ScoreNormalizer.Load(DetectorState.ReadBlock(ref source), _spanSeconds);
        }

        foreach (var d in _detectors)
        {
            if (version >= 3)
            {
                d.LoadAppliedShifts(ref source);
            }
            else
            {
                d.ClearAppliedShifts();
            }
        }
    }

    private void Process(long bi, IResultSink sink, bool interim)
    {
        var started = Stopwatch.GetTimestamp();
        var startMs = bi * _spanMs;
        var slot = (int)(((bi % _generations) + _generations) % _generations);
        var hasGen = _genBucket[slot] == bi;
        var eventCount = hasGen ? _eventCount[slot] : 0;

        _candidates.Clear();
        _plots.Clear();
        var plots = _spec.ModelPlotEnabled ? _plots : null;
        foreach (var d in _detectors)
        {
            d.ScoreBucket(slot, bi, startMs, _candidates, plots, _spec, _interners);
        }

        // Bucket probability: detectors combined as their series are.
        var scored = 0;
        double rootP;
        if (_detectors.Length == 1)
        {
            scored = _detectors[0].Aggregator.Count;
            rootP = _detectors[0].Aggregator.Probability;
        }
        else
        {
            _root.Reset();
            foreach (var d in _detectors)
            {
                if (d.Aggregator.Count > 0)
                {
                    scored += d.Aggregator.Count;
                    _root.Add(d.Aggregator.Probability);
                }
            }

            rootP = _root.Probability;
        }

        var rootRaw = rootP <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(rootP) : 0.0;
        _bucketNormalizer.Update(0, rootRaw, bi);
        var bucketScore = _bucketNormalizer.Normalize(0, rootRaw, rootP);

        ComputeInfluences(slot, bi);
        var bucket = new BucketDocument
        {
            JobId = _spec.JobId,
            Timestamp = startMs,
            AnomalyScore = bucketScore,
            InitialAnomalyScore = bucketScore,
            BucketSpan = _spanSeconds,
            EventCount = (long)Math.Round(eventCount),
            IsInterim = interim,
        };
        for (var e = 0; e < _events.Length; e++)
        {
            if (startMs >= _eventWindows[e].StartMs && startMs < _eventWindows[e].EndMs)
            {
                bucket.ScheduledEvents.Add(_events[e].Description);
            }
        }

        if (scored > 0)
        {
            bucket.BucketInfluencers.Add(new BucketInfluencerDocument
            {
                JobId = _spec.JobId,
                InfluencerFieldName = BucketInfluencerDocument.BucketTime,
                InitialAnomalyScore = bucketScore,
                AnomalyScore = bucketScore,
                RawAnomalyScore = rootRaw,
                Probability = rootP,
                Timestamp = startMs,
                BucketSpan = _spanSeconds,
                IsInterim = interim,
            });
        }

        EmitRecords(sink, startMs, interim);
        EmitInfluencers(sink, bucket, slot, bi, startMs, interim);
        foreach (var plot in _plots)
        {
            sink.OnModelPlot(plot);
        }

        if (!interim && hasGen)
        {
            foreach (var d in _detectors)
            {
                d.EndGeneration(slot);
            }

            _genBucket[slot] = long.MinValue;
        }

        bucket.ProcessingTimeMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        sink.OnBucket(bucket);
    }

    private void ComputeInfluences(int slot, long bi)
    {
        _influenceCount = 0;
        if (_influencerFields.Length == 0 || _candidates.Count == 0)
        {
            return;
        }

        if (_next.Length < _candidates.Count)
        {
            _next = new int[Math.Max(_candidates.Count, _next.Length * 2)];
        }

        // Chain candidates by (detector, series).
        for (var d = 0; d < _detectors.Length; d++)
        {
            var n = _detectors[d].Series.Count;
            if (_heads[d].Length < n)
            {
                var old = _heads[d].Length;
                Array.Resize(ref _heads[d], Math.Max(n, old * 2));
                Array.Fill(_heads[d], -1, old, _heads[d].Length - old);
            }
        }

        for (var c = _candidates.Count - 1; c >= 0; c--)
        {
            ref readonly var leaf = ref _candidates.Items[c];
            _next[c] = _heads[leaf.Detector][leaf.Series];
            _heads[leaf.Detector][leaf.Series] = c;
        }

        // Indicator influencers: the influencer is one of the detector's split fields.
        for (var c = 0; c < _candidates.Count; c++)
        {
            ref readonly var leaf = ref _candidates.Items[c];
            var d = _detectors[leaf.Detector];
            for (var k = 0; k < _influencerFields.Length; k++)
            {
                var name = _spec.Influencers[k];
                var value = name == d.Spec.ByFieldName ? d.Series.By(leaf.Series)
                    : name == d.Spec.OverFieldName ? d.Series.Over(leaf.Series)
                    : name == d.Spec.PartitionFieldName ? d.Series.Partition(leaf.Series)
                    : -1;
                if (value >= 0)
                {
                    AddInfluence(c, k, value, 1.0);
                }
            }
        }

        // Accumulated influencers.
        foreach (var d in _detectors)
        {
            var gen = d.Generation(slot);
            var acc = gen.Influencers;
            if (acc is null || gen.BucketIndex != bi)
            {
                continue;
            }

            var heads = _heads[d.Position];
            for (var e = 0; e < acc.Length; e++)
            {
                for (var c = heads[acc.Series[e]]; c >= 0; c = _next[c])
                {
                    ref readonly var leaf = ref _candidates.Items[c];
                    if (!d.Function.InfluenceAvailable)
                    {
                        continue;
                    }

                    var influence = Influence(d, leaf, gen, acc, e);
                    if (influence > 0)
                    {
                        AddInfluence(c, acc.Slot[e], acc.Value[e], influence);
                    }
                }
            }
        }

        for (var c = 0; c < _candidates.Count; c++)
        {
            ref readonly var leaf = ref _candidates.Items[c];
            _heads[leaf.Detector][leaf.Series] = -1;
        }

        Array.Sort(_influences, 0, _influenceCount, InfluenceOrder);
    }

    private static double Influence(DetectorState d, in LeafResult leaf, BucketGeneration gen, InfluencerAccumulator acc, int e)
    {
        var s = leaf.Series;
        var n = gen.Count[s];
        var ni = acc.Count[e];
        if (!(n > 0) || ni >= n)
        {
            return 1.0;
        }

        var share = ni / n;
        var r = leaf.Result;
        var feature = d.Function.Features[leaf.Feature];
        var tail = d.Function.Tails[leaf.Feature];
        var sigma = (r.UpperBound - r.LowerBound) / (2 * 1.959963984540054);
        if (!(sigma > 0) || !double.IsFinite(sigma))
        {
            return share;
        }

        var lp = LogP(r.Actual, r.Typical, sigma, tail);
        if (lp > -1e-9)
        {
            return share;
        }

        double influence;
        switch (feature)
        {
            case BucketFeature.Count:
                influence = 1 - (LogP(r.Actual - ni, r.Typical, sigma, tail) / lp);
                break;
            case BucketFeature.Sum:
                influence = 1 - (LogP(r.Actual - acc.Sum[e], r.Typical, sigma, tail) / lp);
                break;
            case BucketFeature.Mean:
            case BucketFeature.Median:
                {
                    var rest = n - ni;
                    var without = ((r.Actual * n) - acc.Sum[e]) / rest;
                    influence = 1 - (LogP(without, r.Typical, sigma * Math.Sqrt(n / rest), tail) / lp);
                    break;
                }

            case BucketFeature.Min:
                influence = LogP(acc.Min[e], r.Typical, sigma, tail) / lp;
                break;
            case BucketFeature.Max:
                influence = LogP(acc.Max[e], r.Typical, sigma, tail) / lp;
                break;
            default:
                influence = share;
                break;
        }

        return Math.Clamp(influence, 0.0, 1.0);
    }

    private static double LogP(double x, double mean, double sigma, Tail tail)
    {
        var z = (x - mean) / sigma;
        if ((tail == Tail.High && z <= 0) || (tail == Tail.Low && z >= 0))
        {
            return 0.0;
        }

        return SpecialFunctions.LogNormalTwoSidedTail(z);
    }

    private void AddInfluence(int candidate, int slot, int value, double influence)
    {
        if (_influenceCount == _influences.Length)
        {
            Array.Resize(ref _influences, _influenceCount * 2);
        }

        _influences[_influenceCount++] = new InfluenceEntry(candidate, slot, value, influence);
    }

    private void EmitRecords(IResultSink sink, long startMs, bool interim)
    {
        _influencerIndex.Clear();
        _infCount = 0;
        var cursor = 0;
        for (var c = 0; c < _candidates.Count; c++)
        {
            ref readonly var leaf = ref _candidates.Items[c];
            var d = _detectors[leaf.Detector];
            var r = leaf.Result;
            var p = r.Probability;
            // Rare and freq_rare probabilities say how rare a category is, not where a value falls in a calibrated
            // distribution: their records keep ml-cpp's ceiling (family 1).
            var family = d.Function.Rare || d.Function.FreqRare ? 1 : Math.Max(1, d.Aggregator.Count);
            var score = d.Normalizer(leaf.Feature).Normalize(leaf.Scope, leaf.Raw, p, family);
            var feature = d.Function.Features[leaf.Feature];

            // This candidate's influences (sorted by candidate, slot, influence descending).
            List<RecordInfluence>? influences = null;
            var cutoff = 0.5 / Math.Max(-Math.Log(Math.Max(p, double.Epsilon)), 1.0);
            var logP = Math.Log(Math.Max(p, double.Epsilon));
            while (cursor < _influenceCount && _influences[cursor].Candidate == c)
            {
                var k = _influences[cursor].Slot;
                var groupStart = cursor;
                while (cursor < _influenceCount && _influences[cursor].Candidate == c && _influences[cursor].Slot == k)
                {
                    cursor++;
                }

                var single = cursor - groupStart == 1;
                _valueScratch.Clear();
                for (var i = groupStart; i < cursor; i++)
                {
                    var influence = single ? 1.0 : _influences[i].Influence;
                    if (influence < cutoff)
                    {
                        break;
                    }

                    var value = _influences[i].Value;
                    _valueScratch.Add(_interners[_influencerFields[k]]!.GetString(value));
                    NoteInfluencer(k, value, influence * logP);
                }

                if (_valueScratch.Count > 0)
                {
                    influences ??= [];
                    influences.Add(new RecordInfluence(_spec.Influencers[k], [.. _valueScratch]));
                }
            }

            var singleP = r.SingleBucketProbability;
            var population = d.IsPopulation;
            var rare = d.Function.Rare;
            var geo = d.Function.LatLong;
            IReadOnlyList<double>? actual = population ? null : [r.Actual];
            IReadOnlyList<double>? typical = population ? null : [r.Typical];
            GeoResults? geoResults = null;
            if (geo && !population)
            {
                var lat = _candidates.Causes[leaf.CauseStart].Result;
                var lon = _candidates.Causes[leaf.CauseStart + 1].Result;
                actual = [lat.Actual, lon.Actual];
                typical = [lat.Typical, lon.Typical];
                geoResults = new GeoResults(Point(lat.Actual, lon.Actual), Point(lat.Typical, lon.Typical));
            }

            List<AnomalyCause>? causes = null;
            if (population)
            {
                causes = new List<AnomalyCause>(leaf.CauseCount);
                for (var i = leaf.CauseStart; i < leaf.CauseStart + leaf.CauseCount; i++)
                {
                    ref readonly var cause = ref _candidates.Causes[i];
                    causes.Add(Cause(d, cause));
                }
            }

            sink.OnRecord(new RecordDocument
            {
                JobId = _spec.JobId,
                Probability = p,
                MultiBucketImpact = population || rare || geo ? null : r.MultiBucketImpact,
                RecordScore = score,
                InitialRecordScore = score,
                BucketSpan = _spanSeconds,
                DetectorIndex = d.Spec.Index,
                NormalizerFeature = leaf.Feature,
                NormalizerScope = leaf.Scope,
                NormalizerFamily = family,
                IsInterim = interim,
                Timestamp = startMs,
                // Population records name the by field but carry its values only in their causes, and have no
                // anomaly_score_explanation (ml-cpp's addPopulationFields).
                ByFieldName = d.Spec.ByFieldName,
                ByFieldValue = population ? null : DetectorState.ValueOf(_interners, d.ByIndex, d.Series.By(leaf.Series)),
                PartitionFieldName = d.Spec.PartitionFieldName,
                PartitionFieldValue = DetectorState.ValueOf(_interners, d.PartitionIndex, d.Series.Partition(leaf.Series)),
                Function = d.Function.Name,
                FunctionDescription = DetectorFunction.Describe(feature),
                Typical = typical,
                Actual = actual,
                FieldName = d.Spec.FieldName,
                OverFieldName = d.Spec.OverFieldName,
                OverFieldValue = DetectorState.ValueOf(_interners, d.OverIndex, d.Series.Over(leaf.Series)),
                Causes = causes,
                Influencers = influences,
                GeoResults = geoResults,
                AnomalyScoreExplanation = population ? null : new AnomalyScoreExplanation
                {
                    AnomalyType = r.AnomalyType switch
                    {
                        AnomalyType.Spike => "spike",
                        AnomalyType.Dip => "dip",
                        _ => null,
                    },
                    SingleBucketImpact = singleP < 0.05 ? (int)Math.Round(-Math.Log10(Math.Max(singleP, double.Epsilon))) : null,
                    MultiBucketImpact = population || rare || geo ? null : (int)Math.Round(r.MultiBucketImpact),
                    LowerConfidenceBound = rare || geo ? null : r.LowerBound,
                    TypicalValue = rare || geo ? null : r.Typical,
                    UpperConfidenceBound = rare || geo ? null : r.UpperBound,
                    ByFieldFirstOccurrence = rare ? r.Typical == 0 : null,
                },
            });
        }
    }

    /// <summary>A population record's cause: one person × attribute value behind the person's result.</summary>
    /// <remarks>
    /// Implementation note (mirrors ml-cpp's <c>addPopulationCauseFields</c>): for <c>lat_long</c>, actual is the
    /// person's bucket mean position and typical the population's, each as [lat, lon], and <c>geo_results</c> holds
    /// <c>actual_point</c> only: ml-cpp writes <c>typical_point</c> under a check on the baseline mean, which
    /// population results leave with one element, so Elasticsearch's population causes never carry it.
    /// </remarks>
    private AnomalyCause Cause(DetectorState d, in CauseEntry cause)
    {
        var r = cause.Result;
        IReadOnlyList<double> actual = [r.Actual];
        IReadOnlyList<double> typical = [r.Typical];
        GeoResults? geoResults = null;
        if (d.Function.LatLong)
        {
            var lon = d.GeoLongitude(cause.Series);
            actual = [r.Actual, lon];
            typical = [r.Typical, d.GeoTypicalLongitude(cause.Series)];
            geoResults = new GeoResults(Point(r.Actual, lon), null);
        }

        return new AnomalyCause
        {
            Probability = r.Probability,
            OverFieldName = d.Spec.OverFieldName,
            OverFieldValue = DetectorState.ValueOf(_interners, d.OverIndex, d.Series.Over(cause.Series)),
            ByFieldName = d.Spec.ByFieldName,
            ByFieldValue = DetectorState.ValueOf(_interners, d.ByIndex, d.Series.By(cause.Series)),
            PartitionFieldName = d.Spec.PartitionFieldName,
            PartitionFieldValue = DetectorState.ValueOf(_interners, d.PartitionIndex, d.Series.Partition(cause.Series)),
            Function = d.Function.Name,
            FunctionDescription = DetectorFunction.Describe(d.Function.Features[cause.Feature]),
            Typical = typical,
            Actual = actual,
            FieldName = d.Spec.FieldName,
            GeoResults = geoResults,
        };
    }

    /// <summary>A point as ml-cpp writes it in <c>geo_results</c>: "lat,lon", fixed notation with 12 decimals.</summary>
    private static string Point(double lat, double lon) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{lat:F12},{lon:F12}");

    private void NoteInfluencer(int slot, int value, double logP)
    {
        var key = ((long)slot << 32) | (uint)value;
        if (_influencerIndex.TryGetValue(key, out var at))
        {
            _infLogP[at] = Math.Min(_infLogP[at], logP);
            return;
        }

        if (_infCount == _infSlot.Length)
        {
            Array.Resize(ref _infSlot, _infCount * 2);
            Array.Resize(ref _infValue, _infCount * 2);
            Array.Resize(ref _infLogP, _infCount * 2);
        }

        _infSlot[_infCount] = slot;
        _infValue[_infCount] = value;
        _infLogP[_infCount] = logP;
        _influencerIndex[key] = _infCount++;
    }

    private void EmitInfluencers(IResultSink sink, BucketDocument bucket, int slot, long bi, long startMs, bool interim)
    {
        if (_influencerFields.Length == 0)
        {
            return;
        }

        // Implementation note: ml-cpp scores every influencer value present in the bucket, so its
        // influencer normalizers also learn the (many) zero scores; we feed 0 for every value present
        // in the bucket that influenced no anomaly, so that influencer_score percentiles mean the same.
        CollectPresentInfluencerValues(slot, bi);
        if (_presentPerField.Length < _influencerFields.Length)
        {
            _presentPerField = new int[_influencerFields.Length];
        }

        Array.Clear(_presentPerField);
        foreach (var key in _presentInfluencers)
        {
            _presentPerField[(int)(key >> 32)]++;
            if (!_influencerIndex.ContainsKey(key))
            {
                _influencerNormalizers[(int)(key >> 32)].Update((int)(key & 0xFFFFFFFF) & ((1 << 20) - 1), 0.0, bi);
            }
        }

        for (var k = 0; k < _influencerFields.Length; k++)
        {
            _fieldAggregator.Reset();
            for (var i = 0; i < _infCount; i++)
            {
                if (_infSlot[i] != k)
                {
                    continue;
                }

                var p = Math.Exp(_infLogP[i]);
                _fieldAggregator.Add(p);
                var raw = p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
                _influencerNormalizers[k].Update(_infValue[i] & ((1 << 20) - 1), raw, bi);
            }

            if (_fieldAggregator.Count == 0)
            {
                // The field influenced nothing this bucket: its bucket-level normalizer learns a zero.
                _bucketInfluencerNormalizers[k].Update(0, 0.0, bi);
                continue;
            }

            for (var i = 0; i < _infCount; i++)
            {
                if (_infSlot[i] != k)
                {
                    continue;
                }

                var p = Math.Exp(_infLogP[i]);
                var raw = p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
                if (!(raw > 0))
                {
                    continue;
                }

                var family = _influencerFamilyWise ? Math.Max(1, _presentPerField[k]) : 1;
                var score = _influencerNormalizers[k].Normalize(_infValue[i] & ((1 << 20) - 1), raw, p, family);
                sink.OnInfluencer(new InfluencerDocument
                {
                    JobId = _spec.JobId,
                    InfluencerFieldName = _spec.Influencers[k],
                    InfluencerFieldValue = _interners[_influencerFields[k]]!.GetString(_infValue[i]),
                    InfluencerScore = score,
                    InitialInfluencerScore = score,
                    Probability = p,
                    NormalizerScope = _infValue[i] & ((1 << 20) - 1),
                    NormalizerFamily = family,
                    BucketSpan = _spanSeconds,
                    IsInterim = interim,
                    Timestamp = startMs,
                });
            }

            var fieldP = _fieldAggregator.Probability;
            var fieldRaw = fieldP <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(fieldP) : 0.0;
            _bucketInfluencerNormalizers[k].Update(0, fieldRaw, bi);
            var fieldScore = _bucketInfluencerNormalizers[k].Normalize(0, fieldRaw, fieldP);
            bucket.BucketInfluencers.Add(new BucketInfluencerDocument
            {
                JobId = _spec.JobId,
                InfluencerFieldName = _spec.Influencers[k],
                InitialAnomalyScore = fieldScore,
                AnomalyScore = fieldScore,
                RawAnomalyScore = fieldRaw,
                Probability = fieldP,
                Timestamp = startMs,
                BucketSpan = _spanSeconds,
                IsInterim = interim,
            });
        }
    }

    private void CollectPresentInfluencerValues(int slot, long bi)
    {
        _presentInfluencers.Clear();
        foreach (var d in _detectors)
        {
            var gen = d.Generation(slot);
            if (gen.BucketIndex != bi)
            {
                continue;
            }

            var acc = gen.Influencers;
            if (acc is not null)
            {
                for (var e = 0; e < acc.Length; e++)
                {
                    _presentInfluencers.Add(((long)acc.Slot[e] << 32) | (uint)acc.Value[e]);
                }
            }

            for (var k = 0; k < _influencerFields.Length; k++)
            {
                var name = _spec.Influencers[k];
                var kind = name == d.Spec.ByFieldName ? 0 : name == d.Spec.OverFieldName ? 1 : name == d.Spec.PartitionFieldName ? 2 : -1;
                if (kind < 0)
                {
                    continue;
                }

                for (var t = 0; t < gen.TouchedCount; t++)
                {
                    var s = gen.Touched[t];
                    var value = kind == 0 ? d.Series.By(s) : kind == 1 ? d.Series.Over(s) : d.Series.Partition(s);
                    if (value >= 0)
                    {
                        _presentInfluencers.Add(((long)k << 32) | (uint)value);
                    }
                }
            }
        }
    }

    private int DistinctValues(int kind)
    {
        var seen = new HashSet<int>();
        var total = 0;
        foreach (var d in _detectors)
        {
            var index = kind switch
            {
                0 => d.ByIndex,
                1 => d.OverIndex,
                _ => d.PartitionIndex,
            };
            if (index >= 0 && seen.Add(index))
            {
                total += _interners[index]!.Count;
            }
        }

        return total;
    }

    /// <summary>Categorization statistics for <c>model_size_stats</c>, or null when the job does not categorize.</summary>
    public CategorizerStats? CategorizerStats => _categorizer?.Stats();

    /// <summary>Categories created so far (0 when the job does not categorize).</summary>
    public int CategoryCount => _categorizer?.Categories.Count ?? 0;

    /// <summary>
    /// Appends the category definitions that changed since the last call (a new category, a new match or example) and
    /// marks them written, as ml-cpp writes changed categories.
    /// </summary>
    public void DrainChangedCategories(List<CategoryDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        if (_categorizer is not { } categorizer)
        {
            return;
        }

        var partitionName = _categoryPartitionField >= 0 ? _spec.Categorization!.PartitionFieldName : null;
        foreach (var c in categorizer.Categories)
        {
            if (!c.Changed)
            {
                continue;
            }

            c.Changed = false;
            documents.Add(new CategoryDocument
            {
                JobId = _spec.JobId,
                CategoryId = c.Id,
                PartitionFieldName = partitionName,
                PartitionFieldValue = partitionName is null ? null : _interners[_categoryPartitionField]!.GetString(c.Partition),
                Terms = c.Terms(categorizer.Tokens),
                Regex = c.Regex(categorizer.Tokens),
                MaxMatchingLength = c.MaxMatchingLength,
                Examples = [.. c.Examples],
                GrokPattern = c.GrokPattern(categorizer.Tokens),
                NumMatches = c.NumMatches,
                PreferredToCategories = categorizer.PreferredTo(c),
            });
        }
    }

    /// <summary>
    /// Categorizes the record's categorization field and sets its <c>mlcategory</c> (the category id as text) for the
    /// detectors.
    /// </summary>
    /// <remarks>
    /// Implementation note (ml-cpp's <c>CFieldDataCategorizer::computeCategory</c>): a record whose categorization field
    /// is missing or empty is not categorized but still reaches the detectors with <c>mlcategory</c> "-1"; Vigil gives
    /// the same value to the messages of a partition that stopped categorizing (<c>stop_on_warn</c>).
    /// </remarks>
    private void Categorize(scoped in RecordFields fields)
    {
        var category = -1;
        if (!fields.IsMissing(_categorizationField))
        {
            var text = fields.Utf8(_categorizationField);
            if (!text.IsEmpty)
            {
                var partition = 0;
                if (_categoryPartitionField >= 0)
                {
                    partition = _valueCache.Get(_categoryPartitionField, fields);
                    if (partition < 0)
                    {
                        partition = _interners[_categoryPartitionField]!.GetOrAdd([]);
                    }
                }

                category = _categorizer!.Categorize(text, partition);
            }
        }

        Span<byte> digits = stackalloc byte[12];
        category.TryFormat(digits, out var n, default, System.Globalization.CultureInfo.InvariantCulture);
        _valueCache.Set(_mlCategoryField, _interners[_mlCategoryField]!.GetOrAdd(digits[..n]));
    }

    private int FieldIndex(string name)
    {
        if (name == Configuration.AnalysisConfig.MlCategoryField && _mlCategoryField >= 0)
        {
            return _mlCategoryField;
        }

        for (var i = 0; i < _spec.AnalysisFields.Count; i++)
        {
            if (_spec.AnalysisFields[i] == name)
            {
                return i;
            }
        }

        throw new ArgumentException($"field [{name}] is not in the analysis fields", nameof(name));
    }

    private int InternedField(string name)
    {
        var index = FieldIndex(name);
        _interners[index] ??= new ValueInterner();
        return index;
    }

    private long AlignedIndex(long bucketStartMs)
    {
        var bi = FloorDiv(bucketStartMs, _spanMs);
        if (bi * _spanMs != bucketStartMs)
        {
            throw new ArgumentException("bucket start must be a multiple of the bucket span", nameof(bucketStartMs));
        }

        return bi;
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowBeyondWindow(long timeMs) =>
        throw new InvalidOperationException(
            $"record at {timeMs} is beyond the open buckets (oldest open bucket starts at {_nextToClose * _spanMs}); close buckets first");

    private readonly record struct InfluenceEntry(int Candidate, int Slot, int Value, double Influence);

    private sealed class InfluenceComparer : IComparer<InfluenceEntry>
    {
        public int Compare(InfluenceEntry x, InfluenceEntry y)
        {
            var c = x.Candidate.CompareTo(y.Candidate);
            if (c != 0)
            {
                return c;
            }

            c = x.Slot.CompareTo(y.Slot);
            if (c != 0)
            {
                return c;
            }

            c = y.Influence.CompareTo(x.Influence);
            return c != 0 ? c : x.Value.CompareTo(y.Value);
        }
    }
}
