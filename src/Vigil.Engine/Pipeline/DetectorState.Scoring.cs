using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;
using Vigil.Engine.Results;

namespace Vigil.Engine.Pipeline;

/// <summary>Bucket scoring of the per-series (by/partition) metric and count detectors.</summary>
/// <remarks>
/// Scoring a bucket runs in two phases. Phase 1 scores each series' bucket value and updates its model
/// (<see cref="SeriesModelStore.ScoreThenUpdate"/>); it touches only that series' state, so large buckets
/// are split into chunks scored on several threads. Phase 2 walks the results in series order on the calling
/// thread and does everything that is shared or order-dependent (model plot, <c>skip_result</c> rules, the bucket
/// aggregator, the normalizers, candidate records), so results are identical whatever the number of threads.
/// <c>skip_model_update</c> rules are checked in phase 1, between scoring a series and letting its model learn
/// (the learn gate of <see cref="SeriesModelStore.ScoreThenUpdate"/>): they only read the series' scope and the
/// rule, so the outcome does not depend on the chunking either.
/// An interim pass (<see cref="BeginInterim"/>) runs the same two phases with <see cref="SeriesModelStore.Score"/> in
/// phase 1, which writes nothing, and the normalizers in interim mode in phase 2.
/// </remarks>
internal sealed partial class DetectorState
{
    /// <summary>Series per bucket from which phase 1 runs on several threads.</summary>
    internal const int ParallelSeriesThreshold = 8192;

    /// <summary>Series per chunk of phase 1 (one thread-pool work item each).</summary>
    private const int ChunkSeries = 2048;

    private int[] _batchSeries = new int[16];
    private SeriesResult[] _batchResults = new SeriesResult[16];
    private int _batchCount;
    private BucketGeneration? _batchGen;
    private bool _batchHasGen;
    private long _batchStartMs;
    private Action<int>? _chunkBody;

    /// <summary>The detector's series models, one store per feature (for statistics and tests).</summary>
    internal IReadOnlyList<SeriesModelStore> Stores => _stores;

    /// <summary>Most threads phase 1 uses (default: the processor count).</summary>
    public int ScoringThreads { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Scores every series due in the bucket (phase 1, maybe parallel), then reports them in series order (phase 2).</summary>
    private void ScoreSeriesBatch(BucketGeneration gen, bool hasGen, long bucketIndex, long bucketStartMs, LeafBuffer candidates,
        List<ModelPlotDocument>? plots, AnalysisSpec analysis, ValueInterner?[] interners)
    {
        var n = CollectSeries(gen, hasGen, bucketIndex);
        if (n == 0)
        {
            return;
        }

        var nf = Function.Features.Length;
        if (_batchResults.Length < n * nf)
        {
            _batchResults = new SeriesResult[Math.Max(n * nf, _batchResults.Length * 2)];
        }

        _batchGen = gen;
        _batchHasGen = hasGen;
        _batchStartMs = bucketStartMs;
        var chunks = (n + ChunkSeries - 1) / ChunkSeries;
        if (n >= ParallelSeriesThreshold && ScoringThreads > 1)
        {
            _chunkBody ??= ScoreChunk;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = ScoringThreads }, _chunkBody);
        }
        else
        {
            for (var c = 0; c < chunks; c++)
            {
                ScoreChunk(c);
            }
        }

        _batchGen = null;
        if (!_interim)
        {
            foreach (var store in _stores)
            {
                store.CompactPools();
            }
        }

        for (var i = 0; i < n; i++)
        {
            var s = _batchSeries[i];
            var hasData = HasData(gen, hasGen, s);
            for (var f = 0; f < nf; f++)
            {
                Report(s, f, hasData, bucketStartMs, _batchResults[(i * nf) + f], candidates, plots, analysis, interners);
            }
        }
    }

    /// <summary>
    /// Lists the series scored in the bucket, in series order for empty-is-zero functions, else in touch order;
    /// by values that <c>exclude_frequent</c> removes are left out (neither scored nor learned).
    /// </summary>
    private int CollectSeries(BucketGeneration gen, bool hasGen, long bucketIndex)
    {
        var n = 0;
        if (Function.EmptyBucketIsZero)
        {
            var count = _series.Count;
            EnsureBatch(count);
            for (var s = 0; s < count; s++)
            {
                if (_firstBucket[s] <= bucketIndex && !(_excludeBy && IsFrequent(s, bucketIndex)))
                {
                    _batchSeries[n++] = s;
                }
            }
        }
        else if (hasGen)
        {
            var touched = gen.TouchedCount;
            EnsureBatch(touched);
            if (_excludeBy)
            {
                for (var i = 0; i < touched; i++)
                {
                    var s = gen.Touched[i];
                    if (!IsFrequent(s, bucketIndex))
                    {
                        _batchSeries[n++] = s;
                    }
                }
            }
            else
            {
                gen.Touched.AsSpan(0, touched).CopyTo(_batchSeries);
                n = touched;
            }
        }

        _batchCount = n;
        return n;
    }

    /// <summary>Touched series always have data; empty-is-zero functions also score series without data in the bucket.</summary>
    private bool HasData(BucketGeneration gen, bool hasGen, int s) => !Function.EmptyBucketIsZero || (hasGen && gen.HasData(s));

    private void EnsureBatch(int n)
    {
        if (_batchSeries.Length < n)
        {
            _batchSeries = new int[Math.Max(n, _batchSeries.Length * 2)];
        }
    }

    /// <summary>Phase 1 for one chunk: score and update the models of its series (each series belongs to one chunk).</summary>
    private void ScoreChunk(int chunk)
    {
        var gen = _batchGen!;
        var features = Function.Features;
        var tails = Function.Tails;
        var nf = features.Length;
        var interim = _interim;
        var modelStartMs = _batchStartMs + _interimShiftMs;
        var end = Math.Min(_batchCount, (chunk + 1) * ChunkSeries);
        for (var i = chunk * ChunkSeries; i < end; i++)
        {
            var s = _batchSeries[i];
            var hasData = HasData(gen, _batchHasGen, s);
            var count = hasData ? gen.Count[s] : 1.0;
            for (var f = 0; f < nf; f++)
            {
                var value = FeatureValue(gen, hasData, s, features[f]);
                _batchResults[(i * nf) + f] = interim
                    ? _stores[f].Score(s, modelStartMs, value, count, tails[f])
                    : _stores[f].ScoreThenUpdate(s, _batchStartMs, value, count, tails[f], _learnGate);
            }
        }
    }

    /// <summary>Phase 2 for one series and feature: model plot, rules, aggregation, normalizer and candidate record.</summary>
    private void Report(int s, int f, bool hasData, long bucketStartMs, in SeriesResult r, LeafBuffer candidates,
        List<ModelPlotDocument>? plots, AnalysisSpec analysis, ValueInterner?[] interners)
    {
        if (plots is not null)
        {
            plots.Add(Plot(analysis, interners, s, f, bucketStartMs, r, hasData || Function.EmptyBucketIsZero));
        }

        if (!r.Scored || SkipsResult(s, r, bucketStartMs))
        {
            return;
        }

        Aggregator.Add(r.Probability);
        var raw = r.Probability <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(r.Probability) : 0.0;
        var scope = s & ScopeMask;
        _normalizers[f].Update(scope, raw, _scoringBucket);
        if (raw > 0)
        {
            candidates.Add(new LeafResult(Position, f, s, r, raw, scope));
        }
    }
}
