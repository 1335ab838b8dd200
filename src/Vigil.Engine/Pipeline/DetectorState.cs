using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Input;
using Vigil.Engine.Results;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Everything one detector keeps: its series index, per-bucket accumulators (one generation per
/// open bucket), one <see cref="SeriesModelStore"/> per feature, and the record normalizers.
/// </summary>
/// <remarks>
/// Implementation note (mirrors ml-cpp's data gatherer): a record is split into a series by its
/// partition and by values; when a split field is missing the record is skipped for this detector
/// unless <c>use_null</c> is set, in which case it goes to the series with an empty value. A record
/// whose analysed field is missing (or not numeric for metric functions) is skipped for the detector
/// but still counts in the bucket's <c>event_count</c>.
/// </remarks>
internal sealed partial class DetectorState
{
    private const int ScopeMask = (1 << 20) - 1;

    /// <summary>
    /// ml-cpp's <c>s_ExcludePersonFrequency</c> and <c>s_ExcludeAttributeFrequency</c> (both 0.1): a value whose
    /// frequency is above this share is frequent and excluded under <c>exclude_frequent</c>.
    /// </summary>
    private const double FrequentShare = 0.1;

    private readonly BucketGeneration[] _gens;
    private readonly SeriesModelOptions _options;
    private readonly InfluencerSlot[] _accumulatedInfluencers;
    private readonly long _spanMs;
    private readonly string[] _modelFeatures;
    private SeriesModelStore[] _stores;
    private PopulationModel[] _population;
    private GeoPopulationModel? _geo;
    private double[] _geoLon = [];
    private double[] _geoTypicalLon = [];
    private SeriesIndex _attributes = new();
    private int[] _attributeOf = new int[16];
    private SeriesResult[] _popResults = new SeriesResult[16];
    private long[] _personKeys = new long[16];
    private int[] _personOrder = new int[16];
    private double _lat;
    private double _lon;
    private double[] _rareCount = new double[16];
    private double[] _attrDistinct = new double[16];
    private double[] _attrP = new double[16];
    private double[] _rareP = new double[16];
    private long[] _rareKeys = [];
    private int[] _rareOrder = [];
    private double[] _partitionBuckets = new double[4];
    private double[] _partitionTotal = new double[4];
    private long[] _partitionStamp = new long[4];
    private ScoreNormalizer[] _normalizers;
    private long _scoringBucket;
    private SeriesIndex _series = new();
    private long[] _firstBucket = new long[16];
    private double[] _median = new double[16];
    private double[] _info = new double[16];
    private int[] _order = [];
    private MemoryStream? _deflateBuffer;

    // Interim results (BeginInterim .. EndInterim): scoring writes no model, count, normalizer or rule state.
    private bool _interim;
    private long _interimShiftMs;
    private ValueInterner?[] _scopeInterners = [];
    private int[] _medianSeries = [];
    private double[] _medianValues = [];
    private double[] _presenceScratch = [];
    private long[] _presenceBucketScratch = [];
    private long[] _partitionFirstScratch = [];

    // exclude_frequent and freq_rare (see ExcludeFrequent and ScorePopulationRare).
    private readonly bool _excludeBy;
    private readonly bool _excludeOver;
    private readonly bool _tracksPresence;
    private readonly double _decayPerBucket;
    private SeriesIndex? _persons;
    private int[] _personOf = [];
    private double[] _presence = [];
    private long[] _presenceBucket = [];
    private long[] _partitionFirst = [];
    private int[] _partitionPeople = [];
    private int[] _attrPeople = [];
    private double[] _personTotal = [];
    private int[] _personAttributes = [];

    /// <summary>Creates the state of one detector.</summary>
    public DetectorState(int position, DetectorSpec spec, DetectorFunction function, AnalysisSpec analysis, int generations,
        int fieldIndex, int byIndex, int overIndex, int partitionIndex, InfluencerSlot[] accumulatedInfluencers)
    {
        Position = position;
        Spec = spec;
        SetRules(spec.Rules);
        Function = function;
        FieldIndex = fieldIndex;
        ByIndex = byIndex;
        OverIndex = overIndex;
        PartitionIndex = partitionIndex;
        _spanMs = analysis.BucketSpanMs;
        _accumulatedInfluencers = accumulatedInfluencers;
        (_excludeBy, _excludeOver) = ExcludeFrequent(spec.ExcludeFrequent, byIndex >= 0, overIndex >= 0);
        _tracksPresence = overIndex >= 0 ? _excludeOver : _excludeBy;
        _decayPerBucket = 0.0005 * Math.Min(1.0, analysis.BucketSpanMs / 1_800_000.0);
        if (overIndex >= 0 && (_excludeBy || _excludeOver || function.FreqRare))
        {
            _persons = new SeriesIndex();
            _personOf = new int[_firstBucket.Length];
        }
        else if (_tracksPresence)
        {
            // By/partition detector excluding frequent by values: presence is kept per series.
            _presence = new double[_firstBucket.Length];
            _presenceBucket = new long[_firstBucket.Length];
        }
        _options = new SeriesModelOptions
        {
            BucketSpanMs = analysis.BucketSpanMs,
            MinimumBuckets = function.MinimumBuckets,
            MinimumElapsedMs = function.MinimumElapsedMs,
        };
        var features = function.Features.Length;
        _stores = new SeriesModelStore[features];
        // lat_long over a field models positions in two dimensions (GeoPopulationModel) rather than per feature.
        _population = new PopulationModel[overIndex >= 0 && !function.LatLong ? features : 0];
        for (var f = 0; f < _population.Length; f++)
        {
            _population[f] = new PopulationModel(analysis.BucketSpanMs);
        }

        if (overIndex >= 0 && function.LatLong)
        {
            _geo = new GeoPopulationModel(analysis.BucketSpanMs);
            _geoLon = new double[_firstBucket.Length];
            _geoTypicalLon = new double[_firstBucket.Length];
        }

        _normalizers = new ScoreNormalizer[features];
        _modelFeatures = new string[features];
        for (var f = 0; f < features; f++)
        {
            _stores[f] = new SeriesModelStore(_options);
            _normalizers[f] = new ScoreNormalizer(Math.Max(1, analysis.BucketSpanMs / 1000));
            _modelFeatures[f] = ModelFeature(function.Features[f]);
        }

        var distinct = Array.IndexOf(function.Features, BucketFeature.DistinctCount) >= 0
            || Array.IndexOf(function.Features, BucketFeature.InfoContent) >= 0;
        _gens = new BucketGeneration[generations];
        for (var g = 0; g < generations; g++)
        {
            _gens[g] = new BucketGeneration
            {
                DistinctSet = distinct ? new PairSet() : null,
                Influencers = accumulatedInfluencers.Length > 0 ? new InfluencerAccumulator() : null,
            };
        }
    }

    /// <summary>Position of the detector in the pipeline.</summary>
    public int Position { get; }

    /// <summary>The detector's config.</summary>
    public DetectorSpec Spec { get; }

    /// <summary>
    /// Which split values <c>exclude_frequent</c> removes: <c>by</c> the by values (attributes in a population
    /// detector), <c>over</c> the over values (people), <c>all</c> both, <c>none</c> (or unset) neither. As ml-cpp,
    /// a setting names a field the detector does not have is a no-op (<c>over</c> on a by/partition detector).
    /// </summary>
    private static (bool By, bool Over) ExcludeFrequent(string? setting, bool hasBy, bool hasOver)
    {
        if (setting is null || string.Equals(setting, "none", StringComparison.OrdinalIgnoreCase))
        {
            return (false, false);
        }

        if (string.Equals(setting, "all", StringComparison.OrdinalIgnoreCase))
        {
            return (hasBy, hasOver);
        }

        if (string.Equals(setting, "by", StringComparison.OrdinalIgnoreCase))
        {
            return (hasBy, false);
        }

        if (string.Equals(setting, "over", StringComparison.OrdinalIgnoreCase))
        {
            return (false, hasOver);
        }

        throw new ArgumentException($"exclude_frequent must be one of all, none, by, over; got [{setting}]", nameof(setting));
    }

    /// <summary>The parsed function.</summary>
    public DetectorFunction Function { get; }

    /// <summary>Analysis field index of the analysed field, or −1.</summary>
    public int FieldIndex { get; }

    /// <summary>Analysis field index of the by field, or −1.</summary>
    public int ByIndex { get; }

    /// <summary>Analysis field index of the over field, or −1.</summary>
    public int OverIndex { get; }

    /// <summary>Analysis field index of the partition field, or −1.</summary>
    public int PartitionIndex { get; }

    /// <summary>Whether this is a population (over field) detector.</summary>
    public bool IsPopulation => OverIndex >= 0;

    /// <summary>The series index.</summary>
    public SeriesIndex Series => _series;

    /// <summary>Probability aggregator of the bucket being closed.</summary>
    public BucketScoreAggregator Aggregator { get; } = new();

    /// <summary>Record normalizer of a feature.</summary>
    public ScoreNormalizer Normalizer(int feature) => _normalizers[feature];

    /// <summary>The generation in <paramref name="slot"/>.</summary>
    public BucketGeneration Generation(int slot) => _gens[slot];

    /// <summary>Bytes of model state, series index and accumulators.</summary>
    public long MemoryBytes
    {
        get
        {
            long bytes = _series.MemoryBytes + (long)_firstBucket.Length * 24;
            foreach (var s in _stores)
            {
                bytes += s.ModelBytes;
            }

            foreach (var m in _population)
            {
                bytes += m.ModelBytes;
            }

            // lat_long over a field: the position clusters and the per-series longitude columns of the causes.
            bytes += (_geo?.ModelBytes ?? 0) + ((long)_geoLon.Length * 16);
            bytes += _attributes.MemoryBytes + ((long)_attributeOf.Length * 4);

            // Rare counts and probabilities (allocated for every detector), then what exclude_frequent and
            // freq_rare keep: the person index and per-person/per-series presence, per-attribute people,
            // per-partition columns and the freq_rare per-person bucket totals.
            bytes += (long)_rareCount.Length * 16;
            bytes += (_persons?.MemoryBytes ?? 0) + ((long)_personOf.Length * 4);
            bytes += ((long)_presence.Length * 16) + ((long)_attrPeople.Length * 4);
            bytes += ((long)_partitionFirst.Length * 8) + ((long)_partitionPeople.Length * 4);
            bytes += (long)_personTotal.Length * 12;

            // Scope table of the custom rules (one flag per series and scoped rule).
            foreach (var inScope in _inScope)
            {
                bytes += inScope.Length;
            }

            foreach (var g in _gens)
            {
                bytes += g.MemoryBytes;
            }

            return bytes;
        }
    }

    /// <summary>Accumulates one record into generation <paramref name="slot"/> (already begun for the record's bucket).</summary>
    public void OnRecord(int slot, long bucketIndex, long timeMs, scoped in RecordFields fields, double weight, ValueInterner?[] interners,
        RecordValueCache cache)
    {
        int partition = -1, by = -1, over = -1;
        if (PartitionIndex >= 0 && !SplitValue(PartitionIndex, fields, interners, cache, out partition))
        {
            return;
        }

        if (ByIndex >= 0 && !SplitValue(ByIndex, fields, interners, cache, out by))
        {
            return;
        }

        if (OverIndex >= 0 && !SplitValue(OverIndex, fields, interners, cache, out over))
        {
            return;
        }

        var x = 0.0;
        var features = Function.Features;
        var first = features[0];
        if (Function.NeedsNumber)
        {
            if (!fields.TryGetNumber(FieldIndex, out x) || !double.IsFinite(x))
            {
                return;
            }
        }
        else if (FieldIndex >= 0 && fields.IsMissing(FieldIndex))
        {
            return;
        }
        else if (Function.LatLong && !TryParseLatLong(fields.Utf8(FieldIndex), out _lat, out _lon))
        {
            return;
        }

        var s = _series.GetOrAdd(partition, by, over, out var added);
        if (added)
        {
            AddSeries(s, bucketIndex);
        }

        var gen = _gens[slot];
        gen.Touch(s);
        gen.Count[s] += weight;
        switch (first)
        {
            case BucketFeature.Count:
            case BucketFeature.Rare:
                break;
            case BucketFeature.DistinctCount:
            case BucketFeature.InfoContent:
                {
                    var bytes = fields.Utf8(FieldIndex);
                    if (gen.DistinctSet!.Add(s, Hash64(bytes)))
                    {
                        gen.Distinct[s] += 1;
                        if (first == BucketFeature.InfoContent)
                        {
                            gen.AddString(s, bytes);
                        }
                    }

                    break;
                }

            case BucketFeature.Latitude:
                // x was not parsed: lat_long values are "lat,lon" text (checked below before the series is touched).
                gen.Sum[s] += weight * _lat;
                gen.Sum2[s] += weight * _lon;
                break;
            case BucketFeature.TimeOfDay:
                gen.Sum[s] += weight * SecondsOfDay(timeMs);
                break;
            case BucketFeature.TimeOfWeek:
                gen.Sum[s] += weight * SecondsOfWeek(timeMs);
                break;
            case BucketFeature.Median:
                Accumulate(gen, s, x, weight);
                gen.AddValue(s, x);
                break;
            default:
                Accumulate(gen, s, x, weight);
                break;
        }

        var infl = gen.Influencers;
        if (infl is null)
        {
            return;
        }

        for (var k = 0; k < _accumulatedInfluencers.Length; k++)
        {
            var slotInfo = _accumulatedInfluencers[k];
            var value = cache.Get(slotInfo.FieldIndex, fields);
            if (value < 0)
            {
                continue;
            }

            // Influencer sums follow the series sum: group sums for sum, weighted values otherwise.
            var contribution = first == BucketFeature.Sum ? x : weight * x;
            infl.Add(s, slotInfo.Slot, value, weight, x, contribution);
        }
    }

    /// <summary>
    /// Scores bucket <paramref name="bucketIndex"/> of this detector: computes each series' bucket value,
    /// scores it and updates the model, feeds the record normalizers, and appends candidate records.
    /// </summary>
    public void ScoreBucket(int slot, long bucketIndex, long bucketStartMs, LeafBuffer candidates, List<ModelPlotDocument>? plots,
        AnalysisSpec analysis, ValueInterner?[] interners)
    {
        var gen = _gens[slot];
        var hasGen = gen.BucketIndex == bucketIndex;
        _scoringBucket = bucketIndex;
        Aggregator.Reset();
        _ruleTimeMs = bucketStartMs;
        _scopeInterners = interners;
        if (_interim)
        {
            // Interim: the models see the time shift the bucket's force_time_shift rules would apply, none is applied,
            // and rule scopes of series added since the last bucket are worked out without being cached.
            _interimShiftMs = TimeShiftDue(bucketStartMs, apply: false);
        }
        else
        {
            _interimShiftMs = 0;
            TimeShiftDue(bucketStartMs, apply: true);
            RefreshScopes(interners);
        }

        var scratchPresence = false;
        try
        {
            if (hasGen)
            {
                PrepareOrderStatistics(gen);
                if (_tracksPresence)
                {
                    if (_interim)
                    {
                        BeginScratchPresence();
                        scratchPresence = true;
                    }

                    NotePresence(gen, bucketIndex);
                }
            }

            ScoreSeries(gen, hasGen, bucketIndex, bucketStartMs, candidates, plots, analysis, interners);
        }
        finally
        {
            if (scratchPresence)
            {
                EndScratchPresence();
            }
        }
    }

    private void ScoreSeries(BucketGeneration gen, bool hasGen, long bucketIndex, long bucketStartMs, LeafBuffer candidates,
        List<ModelPlotDocument>? plots, AnalysisSpec analysis, ValueInterner?[] interners)
    {
        if (IsPopulation)
        {
            if (hasGen && Function.Rare)
            {
                ScorePopulationRare(gen, bucketIndex, candidates);
            }
            else if (hasGen && _geo is not null)
            {
                ScorePopulationLatLong(gen, bucketIndex, candidates);
            }
            else if (hasGen)
            {
                ScorePopulation(gen, bucketIndex, candidates);
            }

            return;
        }

        if (Function.Rare)
        {
            if (hasGen)
            {
                ScoreRare(gen, bucketIndex, candidates);
            }

            return;
        }

        if (Function.LatLong)
        {
            ScoreLatLongSeries(gen, hasGen, bucketIndex, bucketStartMs, candidates, plots, analysis, interners);
            return;
        }

        ScoreSeriesBatch(gen, hasGen, bucketIndex, bucketStartMs, candidates, plots, analysis, interners);
    }

    private void ScoreLatLongSeries(BucketGeneration gen, bool hasGen, long bucketIndex, long bucketStartMs, LeafBuffer candidates,
        List<ModelPlotDocument>? plots, AnalysisSpec analysis, ValueInterner?[] interners)
    {
        if (Function.EmptyBucketIsZero)
        {
            var n = _series.Count;
            for (var s = 0; s < n; s++)
            {
                if (_firstBucket[s] <= bucketIndex && !(_excludeBy && IsFrequent(s, bucketIndex)))
                {
                    ScoreLatLong(gen, s, bucketStartMs, hasGen && gen.HasData(s) ? gen.Count[s] : 1.0, candidates, plots, analysis, interners);
                }
            }
        }
        else if (hasGen)
        {
            for (var i = 0; i < gen.TouchedCount; i++)
            {
                var s = gen.Touched[i];
                if (!(_excludeBy && IsFrequent(s, bucketIndex)))
                {
                    ScoreLatLong(gen, s, bucketStartMs, gen.Count[s], candidates, plots, analysis, interners);
                }
            }
        }
    }

    /// <summary>The bucket value of a feature for a series of a generation.</summary>
    public double FeatureValue(BucketGeneration gen, bool hasData, int s, BucketFeature feature)
    {
        if (!hasData)
        {
            return 0.0;
        }

        var count = gen.Count[s];
        return feature switch
        {
            BucketFeature.Count or BucketFeature.Rare => count,
            BucketFeature.Sum => gen.Sum[s],
            BucketFeature.Mean => gen.Mean[s],
            BucketFeature.Median => _median[s],
            BucketFeature.Min => gen.Min[s],
            BucketFeature.Max => gen.Max[s],
            BucketFeature.Varp => count > 0 ? gen.M2[s] / count : double.NaN,
            BucketFeature.DistinctCount => gen.Distinct[s],
            BucketFeature.InfoContent => _info[s],
            BucketFeature.TimeOfDay or BucketFeature.TimeOfWeek or BucketFeature.Latitude => count > 0 ? gen.Sum[s] / count : double.NaN,
            BucketFeature.Longitude => count > 0 ? gen.Sum2[s] / count : double.NaN,
            _ => double.NaN,
        };
    }

    /// <summary>
    /// Starts an interim pass for bucket <paramref name="bucketIndex"/>: until <see cref="EndInterim"/>,
    /// <see cref="ScoreBucket"/> scores without writing any state (models are only read, through
    /// <see cref="SeriesModelStore.Score"/>; population models, rare counts, exclude_frequent presence, applied time
    /// shifts and rule scope caches are left as they are) and the record normalizers learn into scratch
    /// (<see cref="ScoreNormalizer.BeginInterim"/>), so that the pass's results are those a close of the bucket would give
    /// now, and a later close gives what it would have given without the pass.
    /// </summary>
    /// <remarks>What is written is per-bucket scratch only: the bucket's median and info_content values, the lat_long
    /// longitudes of the causes, the freq_rare per-person bucket totals and the buffers of the two phases.</remarks>
    public void BeginInterim(long bucketIndex)
    {
        foreach (var normalizer in _normalizers)
        {
            normalizer.BeginInterim(bucketIndex);
        }

        _interim = true;
    }

    /// <summary>Ends the interim pass started by <see cref="BeginInterim"/>.</summary>
    public void EndInterim()
    {
        foreach (var normalizer in _normalizers)
        {
            normalizer.EndInterim();
        }

        _interim = false;
        _interimShiftMs = 0;
    }

    /// <summary>
    /// Interim pass: puts copies of the exclude_frequent presence columns in their place, so that
    /// <see cref="NotePresence"/> and <see cref="IsFrequent"/> see the bucket as noted while the real columns stay as
    /// they are (<see cref="EndScratchPresence"/> puts them back). The copies are kept for later passes.
    /// </summary>
    private void BeginScratchPresence()
    {
        _presenceScratch = Copy(_presence, _presenceScratch);
        _presenceBucketScratch = Copy(_presenceBucket, _presenceBucketScratch);
        _partitionFirstScratch = Copy(_partitionFirst, _partitionFirstScratch);
        SwapPresenceColumns();

        static T[] Copy<T>(T[] from, T[] to)
        {
            if (to.Length != from.Length)
            {
                to = new T[from.Length];
            }

            Array.Copy(from, to, from.Length);
            return to;
        }
    }

    /// <summary>Puts back the real presence columns after an interim pass (see <see cref="BeginScratchPresence"/>).</summary>
    private void EndScratchPresence() => SwapPresenceColumns();

    private void SwapPresenceColumns()
    {
        (_presence, _presenceScratch) = (_presenceScratch, _presence);
        (_presenceBucket, _presenceBucketScratch) = (_presenceBucketScratch, _presenceBucket);
        (_partitionFirst, _partitionFirstScratch) = (_partitionFirstScratch, _partitionFirst);
    }

    /// <summary>Ends generation <paramref name="slot"/> after its bucket closed.</summary>
    public void EndGeneration(int slot) => _gens[slot].End();

    /// <summary>Starts generation <paramref name="slot"/> for a bucket.</summary>
    public void BeginGeneration(int slot, long bucketIndex) => _gens[slot].Begin(bucketIndex);

    /// <summary>Writes models and normalizers (the state that scoring changes).</summary>
    public void SaveModels(IBufferWriter<byte> writer)
    {
        for (var f = 0; f < _stores.Length; f++)
        {
            WriteBlock(writer, _stores[f].Save);
            WriteBlock(writer, _normalizers[f].Save);
        }

        foreach (var m in _population)
        {
            WriteBlock(writer, m.Save);
        }

        if (_geo is not null)
        {
            // lat_long over a field (new with this block; such detectors were refused before, so no older state has one).
            WriteBlock(writer, _geo.Save);
        }

        if (Function.Rare)
        {
            var header = writer.GetSpan(8);
            BinaryPrimitives.WriteInt32LittleEndian(header, _series.Count);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], _partitionBuckets.Length);
            writer.Advance(8);
            ColumnIo.Write<double>(writer, _rareCount.AsSpan(0, _series.Count));
            ColumnIo.Write<double>(writer, _partitionBuckets);
            ColumnIo.Write<double>(writer, _partitionTotal);
            ColumnIo.Write<long>(writer, _partitionStamp);
            ColumnIo.Write<double>(writer, _attrDistinct.AsSpan(0, _attributes.Count));
        }

        if (_tracksPresence)
        {
            // State version 2: exclude_frequent presence counts (per person or per series) and partition starts.
            var units = PresenceUnits;
            var header = writer.GetSpan(8);
            BinaryPrimitives.WriteInt32LittleEndian(header, units);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], _partitionFirst.Length);
            writer.Advance(8);
            ColumnIo.Write<double>(writer, _presence.AsSpan(0, units));
            ColumnIo.Write<long>(writer, _presenceBucket.AsSpan(0, units));
            ColumnIo.Write<long>(writer, _partitionFirst);
        }
    }

    /// <summary>Number of people (population) or series (by/partition) with an exclude_frequent presence count.</summary>
    private int PresenceUnits => _persons?.Count ?? _series.Count;

    /// <summary>Restores what <see cref="SaveModels"/> wrote.</summary>
    /// <param name="source">The state, advanced past what was read.</param>
    /// <param name="hasPresence">False for a version 1 state, written before exclude_frequent was applied: presence
    /// counts then start empty (every value is frequent again for the first buckets).</param>
    public void LoadModels(ref ReadOnlySpan<byte> source, bool hasPresence = true)
    {
        var span = Math.Max(1, _spanMs / 1000);
        for (var f = 0; f < _stores.Length; f++)
        {
            _stores[f] = SeriesModelStore.Load(ReadBlock(ref source), _options);
            _normalizers[f] = ScoreNormalizer.Load(ReadBlock(ref source), span);
        }

        for (var f = 0; f < _population.Length; f++)
        {
            _population[f] = PopulationModel.Load(ReadBlock(ref source), _spanMs);
        }

        if (_geo is not null)
        {
            _geo = GeoPopulationModel.Load(ReadBlock(ref source), _spanMs);
        }

        if (Function.Rare)
        {
            var n = BinaryPrimitives.ReadInt32LittleEndian(source);
            var partitions = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
            source = source[8..];
            EnsureColumns(n);
            ColumnIo.Read(ref source, _rareCount.AsSpan(0, n));
            _partitionBuckets = new double[partitions];
            _partitionTotal = new double[partitions];
            _partitionStamp = new long[partitions];
            ColumnIo.Read(ref source, _partitionBuckets.AsSpan());
            ColumnIo.Read(ref source, _partitionTotal.AsSpan());
            ColumnIo.Read(ref source, _partitionStamp.AsSpan());
            var attributes = _attributes.Count;
            _attrDistinct = new double[Math.Max(16, attributes)];
            _attrP = new double[_attrDistinct.Length];
            ColumnIo.Read(ref source, _attrDistinct.AsSpan(0, attributes));
        }

        if (_tracksPresence && hasPresence)
        {
            var units = BinaryPrimitives.ReadInt32LittleEndian(source);
            var partitions = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
            source = source[8..];
            if (units != PresenceUnits)
            {
                throw new InvalidDataException("exclude_frequent state does not match the detector's series");
            }

            if (_persons is null)
            {
                EnsureColumns(units);
            }
            else
            {
                EnsurePersons(units);
            }

            ColumnIo.Read(ref source, _presence.AsSpan(0, units));
            ColumnIo.Read(ref source, _presenceBucket.AsSpan(0, units));
            _partitionFirst = new long[partitions];
            ColumnIo.Read(ref source, _partitionFirst.AsSpan());
        }
    }

    /// <summary>Writes the series index and first-bucket column.</summary>
    public void SaveSeries(IBufferWriter<byte> writer)
    {
        _series.Save(writer);
        ColumnIo.Write<long>(writer, _firstBucket.AsSpan(0, _series.Count));
        _attributes.Save(writer);
        ColumnIo.Write<int>(writer, _attributeOf.AsSpan(0, IsPopulation ? _series.Count : 0));
    }

    /// <summary>Restores what <see cref="SaveSeries"/> wrote.</summary>
    public void LoadSeries(ref ReadOnlySpan<byte> source)
    {
        _series = SeriesIndex.Load(ref source);
        _scopeKnown = 0;
        var n = _series.Count;
        EnsureColumns(n);
        ColumnIo.Read(ref source, _firstBucket.AsSpan(0, n));
        _attributes = SeriesIndex.Load(ref source);
        ColumnIo.Read(ref source, _attributeOf.AsSpan(0, IsPopulation ? n : 0));
        foreach (var g in _gens)
        {
            g.EnsureSeries(_firstBucket.Length);
        }

        if (_persons is not null)
        {
            // People and per-attribute/per-partition people counts follow from the series (ids in series order).
            _persons = new SeriesIndex();
            Array.Clear(_attrPeople);
            Array.Clear(_partitionPeople);
            for (var s = 0; s < n; s++)
            {
                IndexPerson(s);
            }
        }
    }

    /// <summary>Writes a length-prefixed block produced by <paramref name="save"/>.</summary>
    public static void WriteBlock(IBufferWriter<byte> writer, Action<IBufferWriter<byte>> save)
    {
        var buffer = new ArrayBufferWriter<byte>();
        save(buffer);
        var header = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(header, buffer.WrittenCount);
        writer.Advance(4);
        ColumnIo.Write<byte>(writer, buffer.WrittenSpan);
    }

    /// <summary>Reads a block written by <see cref="WriteBlock"/>.</summary>
    public static ReadOnlySpan<byte> ReadBlock(ref ReadOnlySpan<byte> source)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(source);
        var block = source.Slice(4, length);
        source = source[(4 + length)..];
        return block;
    }

    private void ScorePopulation(BucketGeneration gen, long bucketIndex, LeafBuffer candidates)
    {
        // Pass 1: score every person × attribute value against the attribute model as it was before the bucket.
        var features = Function.Features;
        var nf = features.Length;
        var touched = gen.TouchedCount;
        if (_popResults.Length < touched * nf)
        {
            _popResults = new SeriesResult[Math.Max(touched * nf, _popResults.Length * 2)];
        }

        if (_personKeys.Length < touched)
        {
            _personKeys = new long[Math.Max(touched, _personKeys.Length * 2)];
            _personOrder = new int[_personKeys.Length];
        }

        for (var i = 0; i < touched; i++)
        {
            var s = gen.Touched[i];
            var attribute = _attributeOf[s];
            var excluded = IsFrequent(s, bucketIndex);
            for (var f = 0; f < nf; f++)
            {
                if (excluded)
                {
                    // exclude_frequent: neither scored nor learned by the attribute's population model.
                    _popResults[(i * nf) + f] = default;
                    continue;
                }

                var value = FeatureValue(gen, true, s, features[f]);
                var r = _population[f].Score(attribute, value, Function.Tails[f]);

                // Custom rules, per person × attribute value: skip_result leaves the value out of the person's result,
                // skip_model_update keeps it from the attribute's population model.
                _popResults[(i * nf) + f] = SkipsResult(s, r, _ruleTimeMs) ? default : r;
                if (!_interim && !SkipsUpdate(s, value, r.Typical, _ruleTimeMs))
                {
                    _population[f].Queue(attribute, value, r.Scored ? r.SingleBucketProbability : 1.0);
                }
            }

            // Group by (partition, person).
            _personKeys[i] = ((long)(_series.Partition(s) + 1) << 32) | (uint)_series.Over(s);
            _personOrder[i] = i;
        }

        if (!_interim)
        {
            foreach (var model in _population)
            {
                model.Commit(bucketIndex);
            }
        }

        ReportPersons(gen, candidates);
    }

    /// <summary>
    /// Pass 2 of population scoring: one result per (partition, person) from the per person × attribute
    /// results in <see cref="_popResults"/> (touched order, <c>features</c> per entry) and the person keys.
    /// </summary>
    private void ReportPersons(BucketGeneration gen, LeafBuffer candidates)
    {
        var nf = Function.Features.Length;
        var touched = gen.TouchedCount;

        // One result per person: its least likely attribute value (ml-cpp's person-level
        // aggregation weights (0, 1, 1, 1) make it essentially the minimum probability).
        Array.Sort(_personKeys, _personOrder, 0, touched);
        var start = 0;
        while (start < touched)
        {
            var end = start + 1;
            while (end < touched && _personKeys[end] == _personKeys[start])
            {
                end++;
            }

            var best = -1;
            var bestP = 2.0;
            for (var j = start; j < end; j++)
            {
                var i = _personOrder[j];
                for (var f = 0; f < nf; f++)
                {
                    ref readonly var r = ref _popResults[(i * nf) + f];
                    if (r.Scored && r.Probability < bestP)
                    {
                        bestP = r.Probability;
                        best = (i * nf) + f;
                    }
                }
            }

            if (best >= 0)
            {
                var bestFeature = best % nf;
                var bestSeries = gen.Touched[best / nf];
                Aggregator.Add(bestP);
                var raw = bestP <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(bestP) : 0.0;
                _normalizers[bestFeature].Update(0, raw, _scoringBucket);
                if (raw > 0)
                {
                    var causeStart = candidates.CauseCount;
                    for (var j = start; j < end; j++)
                    {
                        var i = _personOrder[j];
                        for (var f = 0; f < nf; f++)
                        {
                            ref readonly var r = ref _popResults[(i * nf) + f];
                            if (r.Scored && r.Probability <= RawScore.MaximumAnomalousProbability)
                            {
                                candidates.AddCause(new CauseEntry(gen.Touched[i], f, r));
                            }
                        }
                    }

                    candidates.Add(new LeafResult(Position, bestFeature, bestSeries, _popResults[best], raw, 0,
                        causeStart, candidates.CauseCount - causeStart));
                }
            }

            start = end;
        }
    }

    /// <summary>
    /// <c>lat_long</c> over a field: scores every person × attribute bucket mean position against the attribute's
    /// population of positions (<see cref="GeoPopulationModel"/>, as it was before the bucket), then learns the bucket
    /// and reports one result per (partition, person) as the other population functions do.
    /// </summary>
    /// <remarks>
    /// A person × attribute value's result is kept in the first feature slot of <see cref="_popResults"/> (actual and
    /// typical = the latitudes); the longitudes are kept per series in <see cref="GeoLongitude"/> and
    /// <see cref="GeoTypicalLongitude"/> until the bucket's records are written.
    /// </remarks>
    private void ScorePopulationLatLong(BucketGeneration gen, long bucketIndex, LeafBuffer candidates)
    {
        var geo = _geo!;
        var touched = gen.TouchedCount;
        if (_popResults.Length < touched * 2)
        {
            _popResults = new SeriesResult[Math.Max(touched * 2, _popResults.Length * 2)];
        }

        if (_personKeys.Length < touched)
        {
            _personKeys = new long[Math.Max(touched, _personKeys.Length * 2)];
            _personOrder = new int[_personKeys.Length];
        }

        for (var i = 0; i < touched; i++)
        {
            var s = gen.Touched[i];
            _popResults[(i * 2) + 1] = default;
            if (IsFrequent(s, bucketIndex))
            {
                // exclude_frequent: neither scored nor learned by the attribute's population model.
                _popResults[i * 2] = default;
            }
            else
            {
                var lat = FeatureValue(gen, true, s, BucketFeature.Latitude);
                var lon = FeatureValue(gen, true, s, BucketFeature.Longitude);
                var attribute = _attributeOf[s];
                var g = geo.Score(attribute, lat, lon);
                _geoLon[s] = lon;
                _geoTypicalLon[s] = g.TypicalLon;
                var r = new SeriesResult(g.Scored, g.Probability, g.Probability, 1.0, lat, g.TypicalLat, g.TypicalLat, g.TypicalLat, 0,
                    AnomalyType.None);

                // Custom rules (scope only: lat_long takes no rule conditions): skip_result leaves the value out of the
                // person's result, skip_model_update keeps it from the attribute's population model.
                _popResults[i * 2] = SkipsResult(s, r, _ruleTimeMs) ? default : r;
                if (!_interim && !SkipsUpdate(s, lat, g.TypicalLat, _ruleTimeMs))
                {
                    geo.Queue(attribute, lat, lon, g.Scored ? g.Probability : 1.0);
                }
            }

            _personKeys[i] = ((long)(_series.Partition(s) + 1) << 32) | (uint)_series.Over(s);
            _personOrder[i] = i;
        }

        if (!_interim)
        {
            geo.Commit(bucketIndex);
        }

        ReportPersons(gen, candidates);
    }

    /// <summary>lat_long over a field: the bucket mean longitude of series <paramref name="s"/> in the bucket last scored.</summary>
    internal double GeoLongitude(int s) => _geoLon[s];

    /// <summary>lat_long over a field: the typical longitude for series <paramref name="s"/> in the bucket last scored.</summary>
    internal double GeoTypicalLongitude(int s) => _geoTypicalLon[s];

    private void ScoreLatLong(BucketGeneration gen, int s, long bucketStartMs, double count, LeafBuffer candidates,
        List<ModelPlotDocument>? plots, AnalysisSpec analysis, ValueInterner?[] interners)
    {
        // Implementation note: ml-cpp models positions with a 2-D multimodal prior; we model mean latitude
        // and mean longitude as two series and combine their probabilities with a Bonferroni bound,
        // p = min(1, 2·min(p_lat, p_lon)). One record carries both (actual/typical = [lat, lon]).
        var lat = FeatureValue(gen, true, s, BucketFeature.Latitude);
        var lon = FeatureValue(gen, true, s, BucketFeature.Longitude);
        var rLat = _interim
            ? _stores[0].Score(s, bucketStartMs + _interimShiftMs, lat, count, Tail.TwoSided)
            : _stores[0].ScoreThenUpdate(s, bucketStartMs, lat, count, Tail.TwoSided, _learnGate);
        var rLon = _interim
            ? _stores[1].Score(s, bucketStartMs + _interimShiftMs, lon, count, Tail.TwoSided)
            : _stores[1].ScoreThenUpdate(s, bucketStartMs, lon, count, Tail.TwoSided, _learnGate);
        if (plots is not null)
        {
            plots.Add(Plot(analysis, interners, s, 0, bucketStartMs, rLat, true));
            plots.Add(Plot(analysis, interners, s, 1, bucketStartMs, rLon, true));
        }

        if (!rLat.Scored || !rLon.Scored || SkipsResult(s, rLat, bucketStartMs))
        {
            return;
        }

        var p = Math.Min(1.0, 2.0 * Math.Min(rLat.Probability, rLon.Probability));
        Aggregator.Add(p);
        var raw = p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
        var scope = s & ScopeMask;
        _normalizers[0].Update(scope, raw, _scoringBucket);
        if (raw > 0)
        {
            var causeStart = candidates.CauseCount;
            candidates.AddCause(new CauseEntry(s, 0, rLat));
            candidates.AddCause(new CauseEntry(s, 1, rLon));
            var type = rLat.Probability <= rLon.Probability ? rLat.AnomalyType : rLon.AnomalyType;
            var combined = rLat with { Probability = p, SingleBucketProbability = p, MultiBucketImpact = 0, AnomalyType = type };
            candidates.Add(new LeafResult(Position, 0, s, combined, raw, scope, causeStart, 2));
        }
    }

    private static bool TryParseLatLong(ReadOnlySpan<byte> text, out double lat, out double lon)
    {
        var comma = text.IndexOf((byte)',');
        lat = 0;
        lon = 0;
        return comma > 0
            && NumberText.TryParse(text[..comma].Trim((byte)' '), out lat)
            && NumberText.TryParse(text[(comma + 1)..].Trim((byte)' '), out lon)
            && lat is >= -90 and <= 90
            && lon is >= -180 and <= 180;
    }

    private void ScoreRare(BucketGeneration gen, long bucketIndex, LeafBuffer candidates)
    {
        // Implementation note (ml-cpp rare, simplified): a category's probability is the share of all
        // past category occurrences (buckets in which a by value was present) that belong to categories
        // at most as frequent as it, with a new category counting as frequency 0 plus one pseudo-count:
        // p = (Σ_{c': n_c' ≤ n_c} n_c' + 1) / (Σ n + 1). No decay of the counts; no per-bucket indicator
        // feature. Scored once the partition has 20 buckets of history.
        var n = _series.Count;
        if (_rareKeys.Length < n)
        {
            _rareKeys = new long[Math.Max(n, _rareKeys.Length * 2)];
            _rareOrder = new int[_rareKeys.Length];
        }

        for (var s = 0; s < n; s++)
        {
            _rareKeys[s] = ((long)(_series.Partition(s) + 1) << 32) | (uint)Math.Min(_rareCount[s], int.MaxValue);
            _rareOrder[s] = s;
        }

        Array.Sort(_rareKeys, _rareOrder, 0, n);
        var start = 0;
        while (start < n)
        {
            var partition = _series.Partition(_rareOrder[start]) + 1;
            var end = start;
            while (end < n && _series.Partition(_rareOrder[end]) + 1 == partition)
            {
                end++;
            }

            EnsurePartition(partition);
            var total = PartitionTotal(partition);
            var cumulative = 0.0;
            var i = start;
            while (i < end)
            {
                var count = _rareCount[_rareOrder[i]];
                var j = i;
                while (j < end && _rareCount[_rareOrder[j]] == count)
                {
                    cumulative += count;
                    j++;
                }

                var p = Math.Min(1.0, (cumulative + 1.0) / (total + 1.0));
                for (var k = i; k < j; k++)
                {
                    _rareP[_rareOrder[k]] = p;
                }

                i = j;
            }

            start = end;
        }

        for (var t = 0; t < gen.TouchedCount; t++)
        {
            var s = gen.Touched[t];
            var partition = _series.Partition(s) + 1;
            if (PartitionBuckets(partition) >= Function.MinimumBuckets && !(_excludeBy && IsFrequent(s, bucketIndex)))
            {
                var p = _rareP[s];
                var share = PartitionTotal(partition) > 0 ? _rareCount[s] / PartitionTotal(partition) : 0.0;
                var r = new SeriesResult(true, p, p, 1.0, 1.0, share, 0, 1, 0, AnomalyType.None);
                if (SkipsResult(s, r, _ruleTimeMs))
                {
                    continue;
                }

                Aggregator.Add(p);
                var raw = p <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(p) : 0.0;
                var scope = s & ScopeMask;
                _normalizers[0].Update(scope, raw, _scoringBucket);
                if (raw > 0)
                {
                    candidates.Add(new LeafResult(Position, 0, s, r, raw, scope));
                }
            }
        }

        // Learn the bucket (a series-bucket a skip_model_update rule applies to is not counted); not from interim results.
        for (var t = 0; t < (_interim ? 0 : gen.TouchedCount); t++)
        {
            var s = gen.Touched[t];
            var partition = _series.Partition(s) + 1;
            if (!SkipsUpdate(s, 1.0, 0.0, _ruleTimeMs))
            {
                _rareCount[s] += 1;
                _partitionTotal[partition] += 1;
            }

            if (_partitionStamp[partition] != bucketIndex + 1)
            {
                _partitionStamp[partition] = bucketIndex + 1;
                _partitionBuckets[partition] += 1;
            }
        }
    }

    private void ScorePopulationRare(BucketGeneration gen, long bucketIndex, LeafBuffer candidates)
    {
        // Implementation note (ml-cpp population rare, simplified): an attribute's rarity is the number of
        // distinct people who have had it; its probability is the share of all (person, attribute) pairs
        // seen so far that belong to attributes with at most as many people, plus one pseudo-count:
        // p = (Σ_{a': D_a' ≤ D_a} D_a' + 1) / (Σ D + 1). A person is reported by its rarest attribute
        // (ml-cpp's person aggregation), with the rare attributes as causes. freq_rare weights each attribute's
        // probability by the person's use of it in the bucket (below). exclude_frequent removes frequent people or
        // attributes from scoring only: the attribute rarity table still learns every pair, as ml-cpp computes the
        // attribute concentrations from the unfiltered gatherer data.
        var attributes = _attributes.Count;
        if (_attrDistinct.Length < attributes && !_interim)
        {
            Array.Resize(ref _attrDistinct, Math.Max(attributes, _attrDistinct.Length * 2));
            Array.Resize(ref _attrP, _attrDistinct.Length);
        }

        if (_attrP.Length < attributes)
        {
            // Interim results with attributes added since the last bucket (their distinct counts are 0 until learned).
            Array.Resize(ref _attrP, attributes);
        }

        if (_rareKeys.Length < attributes)
        {
            _rareKeys = new long[Math.Max(attributes, _rareKeys.Length * 2)];
            _rareOrder = new int[_rareKeys.Length];
        }

        for (var a = 0; a < attributes; a++)
        {
            _rareKeys[a] = ((long)(_attributes.Partition(a) + 1) << 32) | (uint)Math.Min(AttrDistinct(a), int.MaxValue);
            _rareOrder[a] = a;
        }

        Array.Sort(_rareKeys, _rareOrder, 0, attributes);
        var start = 0;
        while (start < attributes)
        {
            var partition = _attributes.Partition(_rareOrder[start]) + 1;
            var end = start;
            while (end < attributes && _attributes.Partition(_rareOrder[end]) + 1 == partition)
            {
                end++;
            }

            EnsurePartition(partition);
            var total = PartitionTotal(partition);
            var cumulative = 0.0;
            var i = start;
            while (i < end)
            {
                var d = AttrDistinct(_rareOrder[i]);
                var j = i;
                while (j < end && AttrDistinct(_rareOrder[j]) == d)
                {
                    cumulative += d;
                    j++;
                }

                var p = Math.Min(1.0, (cumulative + 1.0) / (total + 1.0));
                for (var k = i; k < j; k++)
                {
                    _attrP[_rareOrder[k]] = p;
                }

                i = j;
            }

            start = end;
        }

        var touched = gen.TouchedCount;
        if (_popResults.Length < touched)
        {
            _popResults = new SeriesResult[Math.Max(touched, _popResults.Length * 2)];
        }

        if (_personKeys.Length < touched)
        {
            _personKeys = new long[Math.Max(touched, _personKeys.Length * 2)];
            _personOrder = new int[_personKeys.Length];
        }

        if (Function.FreqRare)
        {
            // The person's activity this bucket: total count and number of distinct categories.
            for (var t = 0; t < touched; t++)
            {
                var person = _personOf[gen.Touched[t]];
                _personTotal[person] = 0;
                _personAttributes[person] = 0;
            }

            for (var t = 0; t < touched; t++)
            {
                var s = gen.Touched[t];
                var person = _personOf[s];
                _personTotal[person] += gen.Count[s];
                _personAttributes[person]++;
            }
        }

        for (var t = 0; t < touched; t++)
        {
            var s = gen.Touched[t];
            var attribute = _attributeOf[s];
            var partition = _series.Partition(s) + 1;
            EnsurePartition(partition);
            var total = PartitionTotal(partition);
            var share = total > 0 ? AttrDistinct(attribute) / total : 0.0;
            var scored = PartitionBuckets(partition) >= Function.MinimumBuckets && !IsFrequent(s, bucketIndex);
            var p = scored ? _attrP[attribute] : 1.0;
            var actual = 1.0;
            var typical = share;
            if (Function.FreqRare)
            {
                // Implementation note (ml-cpp freq_rare, simplified): ml-cpp weights each (person, category)
                // probability in the person's joint by w = 1 − (1 − q)^m, the chance that m draws from the
                // person's category distribution of the bucket (q = the category's share of the person's count,
                // m = the person's distinct categories) include the category. A category the person hammers
                // has w ≈ 1 and keeps its full rarity; one touched once amid other activity has w ≪ 1. We apply
                // the weight as p^w. actual is the person's count of the category in the bucket; typical is
                // what a person with the same total would do if the category took its population share.
                var count = gen.Count[s];
                var personTotal = _personTotal[_personOf[s]];
                var q = personTotal > 0 ? count / personTotal : 1.0;
                var w = 1.0 - Math.Pow(1.0 - q, _personAttributes[_personOf[s]]);
                if (scored)
                {
                    p = Math.Min(1.0, Math.Exp(w * Math.Log(Math.Max(p, double.Epsilon))));
                }

                actual = count;
                typical = share * personTotal;
            }

            _popResults[t] = new SeriesResult(scored, p, p, 1.0, actual, typical, 0, 1, 0, AnomalyType.None);
            if (scored && SkipsResult(s, _popResults[t], _ruleTimeMs))
            {
                _popResults[t] = default;
            }

            _personKeys[t] = ((long)partition << 32) | (uint)_series.Over(s);
            _personOrder[t] = t;
        }

        ReportPersons(gen, candidates);

        // Learn the bucket: new (person, attribute) pairs raise the attribute's distinct-people count (not from interim results).
        for (var t = 0; t < (_interim ? 0 : touched); t++)
        {
            var s = gen.Touched[t];
            var partition = _series.Partition(s) + 1;
            if (!SkipsUpdate(s, 1.0, 0.0, _ruleTimeMs))
            {
                // skip_model_update leaves the pair unlearned (its attribute's rarity is unchanged).
                if (_rareCount[s] == 0)
                {
                    _attrDistinct[_attributeOf[s]] += 1;
                    _partitionTotal[partition] += 1;
                }

                _rareCount[s] += 1;
            }
            if (_partitionStamp[partition] != bucketIndex + 1)
            {
                _partitionStamp[partition] = bucketIndex + 1;
                _partitionBuckets[partition] += 1;
            }
        }
    }

    /// <summary>Grows the rare/freq_rare per-partition columns (not in an interim pass, which reads missing partitions as 0).</summary>
    private void EnsurePartition(int partition)
    {
        if (partition < _partitionBuckets.Length || _interim)
        {
            return;
        }

        var size = Math.Max(partition + 1, _partitionBuckets.Length * 2);
        Array.Resize(ref _partitionBuckets, size);
        Array.Resize(ref _partitionTotal, size);
        Array.Resize(ref _partitionStamp, size);
    }

    /// <summary>Rare/freq_rare: buckets the partition has had (0 for a partition not seen yet).</summary>
    private double PartitionBuckets(int partition) => partition < _partitionBuckets.Length ? _partitionBuckets[partition] : 0.0;

    /// <summary>Rare/freq_rare: total occurrences (rare) or (person, attribute) pairs (population) of the partition.</summary>
    private double PartitionTotal(int partition) => partition < _partitionTotal.Length ? _partitionTotal[partition] : 0.0;

    /// <summary>Population rare: distinct people of attribute <paramref name="a"/> (0 for an attribute not learned yet).</summary>
    private double AttrDistinct(int a) => a < _attrDistinct.Length ? _attrDistinct[a] : 0.0;

    private ModelPlotDocument Plot(AnalysisSpec analysis, ValueInterner?[] interners, int s, int f, long bucketStartMs,
        in SeriesResult r, bool hasActual) =>
        new()
        {
            JobId = analysis.JobId,
            BucketSpan = analysis.BucketSpanMs / 1000,
            DetectorIndex = Spec.Index,
            Timestamp = bucketStartMs,
            PartitionFieldName = Spec.PartitionFieldName,
            PartitionFieldValue = ValueOf(interners, PartitionIndex, _series.Partition(s)),
            OverFieldName = Spec.OverFieldName,
            OverFieldValue = ValueOf(interners, OverIndex, _series.Over(s)),
            ByFieldName = Spec.ByFieldName,
            ByFieldValue = ValueOf(interners, ByIndex, _series.By(s)),
            ModelFeature = _modelFeatures[f],
            ModelLower = r.LowerBound,
            ModelUpper = r.UpperBound,
            ModelMedian = r.Typical,
            Actual = hasActual ? r.Actual : null,
        };

    /// <summary>The string of a split value id, or null when the detector has no such field.</summary>
    public static string? ValueOf(ValueInterner?[] interners, int fieldIndex, int valueId) =>
        fieldIndex >= 0 && valueId >= 0 ? interners[fieldIndex]!.GetString(valueId) : null;

    private void PrepareOrderStatistics(BucketGeneration gen)
    {
        var features = Function.Features;
        if (Array.IndexOf(features, BucketFeature.Median) >= 0 && gen.ValueCount > 0)
        {
            var n = gen.ValueCount;
            var series = gen.ValueSeries;
            var values = gen.Values;
            if (_interim)
            {
                // Interim: the open bucket's values are sorted in scratch copies, leaving the accumulator as it was.
                if (_medianSeries.Length < n)
                {
                    _medianSeries = new int[Math.Max(n, _medianSeries.Length * 2)];
                    _medianValues = new double[_medianSeries.Length];
                }

                Array.Copy(series, _medianSeries, n);
                Array.Copy(values, _medianValues, n);
                series = _medianSeries;
                values = _medianValues;
            }

            Array.Sort(series, values, 0, n);
            var start = 0;
            while (start < n)
            {
                var s = series[start];
                var end = start + 1;
                while (end < n && series[end] == s)
                {
                    end++;
                }

                Array.Sort(values, start, end - start);
                var len = end - start;
                var mid = start + (len / 2);
                _median[s] = (len & 1) == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
                start = end;
            }
        }

        if (Array.IndexOf(features, BucketFeature.InfoContent) >= 0 && gen.StringCount > 0)
        {
            ComputeInfoContent(gen);
        }
    }

    private void ComputeInfoContent(BucketGeneration gen)
    {
        // Implementation note: ml-cpp's info_content is the compressed length of the bucket's distinct
        // strings; we deflate the distinct strings of each series, sorted, separated by newlines.
        var n = gen.StringCount;
        if (_order.Length < n)
        {
            _order = new int[Math.Max(n, _order.Length * 2)];
        }

        var keys = new long[n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = ((long)gen.StringSeries[i] << 32) | (uint)i;
            _order[i] = i;
        }

        Array.Sort(keys, _order, 0, n);
        _deflateBuffer ??= new MemoryStream();
        var start = 0;
        var scratch = new List<byte[]>();
        while (start < n)
        {
            var s = gen.StringSeries[_order[start]];
            var end = start + 1;
            while (end < n && gen.StringSeries[_order[end]] == s)
            {
                end++;
            }

            scratch.Clear();
            for (var i = start; i < end; i++)
            {
                var e = _order[i];
                scratch.Add(gen.Strings.AsSpan(gen.StringOffset[e], gen.StringLength[e]).ToArray());
            }

            scratch.Sort(CompareBytes);
            _deflateBuffer.SetLength(0);
            using (var deflate = new DeflateStream(_deflateBuffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                foreach (var bytes in scratch)
                {
                    deflate.Write(bytes);
                    deflate.WriteByte((byte)'\n');
                }
            }

            _info[s] = _deflateBuffer.Length;
            start = end;
        }
    }

    private static int CompareBytes(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    private static void Accumulate(BucketGeneration gen, int s, double x, double weight)
    {
        if (x < gen.Min[s])
        {
            gen.Min[s] = x;
        }

        if (x > gen.Max[s])
        {
            gen.Max[s] = x;
        }

        // A pre-aggregated (summary count) record carries its group's sum for sum functions and its
        // group's mean for mean-like functions (weighted below), as ES datafeed aggregations produce.
        gen.Sum[s] += x;

        // Weighted Welford update; gen.Count already includes this record's weight.
        var total = gen.Count[s];
        var delta = x - gen.Mean[s];
        gen.Mean[s] += delta * weight / total;
        gen.M2[s] += weight * delta * (x - gen.Mean[s]);
    }

    private bool SplitValue(int index, scoped in RecordFields fields, ValueInterner?[] interners, RecordValueCache cache, out int id)
    {
        id = cache.Get(index, fields);
        if (id >= 0)
        {
            return true;
        }

        if (!Spec.UseNull)
        {
            return false;
        }

        id = interners[index]!.GetOrAdd([]);
        return true;
    }

    private void AddSeries(int s, long bucketIndex)
    {
        EnsureColumns(s + 1);
        if (IsPopulation)
        {
            var attribute = _attributes.GetOrAdd(_series.Partition(s), _series.By(s), -1, out var addedAttribute);
            if (addedAttribute)
            {
                foreach (var model in _population)
                {
                    model.Add();
                }

                _geo?.Add();
            }

            _attributeOf[s] = attribute;
            IndexPerson(s);
        }
        else
        {
            foreach (var store in _stores)
            {
                var id = store.Add();
                if (id != s)
                {
                    throw new InvalidOperationException("series ids of the detector's model stores diverged");
                }
            }
        }

        _firstBucket[s] = bucketIndex;
        foreach (var g in _gens)
        {
            g.EnsureSeries(_firstBucket.Length);
        }
    }

    private void EnsureColumns(int n)
    {
        if (n <= _firstBucket.Length)
        {
            return;
        }

        var size = Math.Max(n, _firstBucket.Length * 2);
        Array.Resize(ref _firstBucket, size);
        Array.Resize(ref _median, size);
        Array.Resize(ref _info, size);
        Array.Resize(ref _attributeOf, size);
        Array.Resize(ref _rareCount, size);
        Array.Resize(ref _rareP, size);
        if (_geo is not null)
        {
            Array.Resize(ref _geoLon, size);
            Array.Resize(ref _geoTypicalLon, size);
        }

        if (_persons is not null)
        {
            Array.Resize(ref _personOf, size);
        }
        else if (_tracksPresence)
        {
            Array.Resize(ref _presence, size);
            Array.Resize(ref _presenceBucket, size);
        }
    }

    /// <summary>
    /// Population detectors that need people (exclude_frequent, freq_rare): maps series <paramref name="s"/> to its
    /// (partition, over value) person, counting new people per partition and people per attribute.
    /// </summary>
    private void IndexPerson(int s)
    {
        if (_persons is null)
        {
            return;
        }

        var partition = _series.Partition(s);
        var person = _persons.GetOrAdd(partition, -1, _series.Over(s), out var added);
        _personOf[s] = person;
        if (added)
        {
            EnsurePersons(person + 1);
            EnsureFrequencyPartition(partition + 1);
            _partitionPeople[partition + 1]++;
        }

        if (_excludeBy)
        {
            var attribute = _attributeOf[s];
            if (attribute >= _attrPeople.Length)
            {
                Array.Resize(ref _attrPeople, Math.Max(attribute + 1, Math.Max(16, _attrPeople.Length * 2)));
            }

            // Every series of a population detector is a distinct (person, attribute) pair.
            _attrPeople[attribute]++;
        }
    }

    /// <summary>Grows the per-person columns to hold <paramref name="n"/> people.</summary>
    private void EnsurePersons(int n)
    {
        if (_tracksPresence && n > _presence.Length)
        {
            var size = Math.Max(n, Math.Max(16, _presence.Length * 2));
            Array.Resize(ref _presence, size);
            Array.Resize(ref _presenceBucket, size);
        }

        if (Function.FreqRare && n > _personTotal.Length)
        {
            var size = Math.Max(n, Math.Max(16, _personTotal.Length * 2));
            Array.Resize(ref _personTotal, size);
            Array.Resize(ref _personAttributes, size);
        }
    }

    /// <summary>Grows the per-partition exclude_frequent columns to hold partition slot <paramref name="partition"/>.</summary>
    private void EnsureFrequencyPartition(int partition)
    {
        if (partition >= _partitionFirst.Length)
        {
            Array.Resize(ref _partitionFirst, Math.Max(partition + 1, Math.Max(4, _partitionFirst.Length * 2)));
        }

        if (partition >= _partitionPeople.Length)
        {
            Array.Resize(ref _partitionPeople, Math.Max(partition + 1, Math.Max(4, _partitionPeople.Length * 2)));
        }
    }

    /// <summary>
    /// Counts the bucket's presence of every person (population) or series (by/partition) it touched, for
    /// <see cref="PresenceShare"/>: a decayed count of the buckets the value was present in.
    /// </summary>
    private void NotePresence(BucketGeneration gen, long bucketIndex)
    {
        for (var t = 0; t < gen.TouchedCount; t++)
        {
            var s = gen.Touched[t];
            var partition = _series.Partition(s) + 1;
            if (_interim)
            {
                if (partition >= _partitionFirst.Length)
                {
                    // Scratch copy (BeginScratchPresence): grown like the real column, the people counts left alone.
                    Array.Resize(ref _partitionFirst, Math.Max(partition + 1, Math.Max(4, _partitionFirst.Length * 2)));
                }
            }
            else
            {
                EnsureFrequencyPartition(partition);
            }

            if (_partitionFirst[partition] == 0)
            {
                _partitionFirst[partition] = bucketIndex + 1;
            }

            var unit = IsPopulation ? _personOf[s] : s;
            var count = _presence[unit];
            if (count > 0 && _presenceBucket[unit] == bucketIndex)
            {
                continue;
            }

            _presence[unit] = count > 0 ? (count * Math.Exp(-_decayPerBucket * (bucketIndex - _presenceBucket[unit]))) + 1.0 : 1.0;
            _presenceBucket[unit] = bucketIndex;
        }
    }

    /// <summary>
    /// The share of the partition's buckets (from its first closed bucket to <paramref name="bucketIndex"/>, this one
    /// included) in which <paramref name="unit"/> was present, both counts decayed per bucket.
    /// </summary>
    /// <remarks>
    /// Implementation note (mirrors ml-cpp's <c>CAnomalyDetectorModel::personFrequency</c>): ml-cpp adds 1 to a
    /// person's bucket count for each bucket the person is in and 1 to the model's bucket count for every bucket,
    /// multiplying both by exp(−decay rate) after each bucket; the frequency is their ratio. The bucket count is a
    /// geometric sum, so only the partition's first bucket is kept: Σ_{k&lt;n} e^(−dk) = (1 − e^(−dn)) / (1 − e^(−d)).
    /// Buckets skipped by a flush <c>skip_time</c> count as empty buckets here (ml-cpp does not count them).
    /// </remarks>
    private double PresenceShare(int unit, int partition, long bucketIndex)
    {
        var count = _presence[unit];
        if (!(count > 0))
        {
            return 0.0;
        }

        var buckets = bucketIndex - (_partitionFirst[partition] - 1) + 1;
        var d = _decayPerBucket;
        var present = count * Math.Exp(-d * (bucketIndex - _presenceBucket[unit]));
        var total = d > 0 ? double.ExpM1(-d * buckets) / double.ExpM1(-d) : buckets;
        return present / Math.Max(total, 1.0);
    }

    /// <summary>
    /// Whether <c>exclude_frequent</c> removes series <paramref name="s"/> in bucket <paramref name="bucketIndex"/>.
    /// </summary>
    /// <remarks>
    /// Implementation note (mirrors ml-cpp's person and attribute filters, threshold 0.1 for both): a by value of a
    /// by/partition detector and an over value (person) of a population detector are frequent when their
    /// <see cref="PresenceShare"/> (frequent over time) is above 0.1; a by value (attribute) of a population detector
    /// is frequent when more than 10% of the partition's people have had it (frequent across the population;
    /// ml-cpp: distinct people of the attribute / active people). People and attributes are never pruned here.
    /// </remarks>
    private bool IsFrequent(int s, long bucketIndex)
    {
        if (!_excludeBy && !_excludeOver)
        {
            return false;
        }

        var partition = _series.Partition(s) + 1;
        if (!IsPopulation)
        {
            return _excludeBy && PresenceShare(s, partition, bucketIndex) > FrequentShare;
        }

        if (_excludeOver && PresenceShare(_personOf[s], partition, bucketIndex) > FrequentShare)
        {
            return true;
        }

        var people = partition < _partitionPeople.Length ? _partitionPeople[partition] : 0;
        return _excludeBy && people > 0 && (double)_attrPeople[_attributeOf[s]] / people > FrequentShare;
    }

    private static long Hash64(ReadOnlySpan<byte> bytes)
    {
        // FNV-1a, 64 bit: distinct counting only needs a low collision rate within one series-bucket.
        var h = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return (long)h;
    }

    private static double SecondsOfDay(long timeMs) => (double)(((timeMs % 86_400_000L) + 86_400_000L) % 86_400_000L) / 1000.0;

    private static double SecondsOfWeek(long timeMs)
    {
        // The epoch was a Thursday: shift by 3 days so the week starts on Monday 00:00 UTC.
        const long WeekMs = 7 * 86_400_000L;
        var t = timeMs + (3 * 86_400_000L);
        return (double)(((t % WeekMs) + WeekMs) % WeekMs) / 1000.0;
    }

    private static string ModelFeature(BucketFeature feature) => feature switch
    {
        BucketFeature.Count => "'count per bucket by person'",
        BucketFeature.Sum => "'bucket sum by person'",
        BucketFeature.Mean => "'arithmetic mean value by person'",
        BucketFeature.Median => "'median value by person'",
        BucketFeature.Min => "'minimum value by person'",
        BucketFeature.Max => "'maximum value by person'",
        BucketFeature.Varp => "'variance of values by person'",
        BucketFeature.DistinctCount => "'unique count by person'",
        BucketFeature.InfoContent => "'information content of value per bucket by person'",
        BucketFeature.TimeOfDay => "'time-of-day by person'",
        BucketFeature.TimeOfWeek => "'time-of-week by person'",
        BucketFeature.Rare => "'rare'",
        BucketFeature.Latitude => "'mean latitude by person'",
        BucketFeature.Longitude => "'mean longitude by person'",
        _ => "'unknown'",
    };
}

/// <summary>An influencer field whose per-value statistics a detector accumulates.</summary>
/// <param name="Slot">Index in the job's influencer list.</param>
/// <param name="FieldIndex">Analysis field index.</param>
internal readonly record struct InfluencerSlot(int Slot, int FieldIndex);
