using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Analysis.Scoring;

namespace Vigil.Engine.Analysis;

/// <summary>
/// Streams (time, value) records of one metric through bucketing, one series model, the bucket
/// score aggregator and the bucket normalizer. Buckets are aligned to the epoch. Records must
/// arrive in time order; a record earlier than the open bucket is counted in
/// <see cref="OutOfOrderRecords"/> and ignored (ES drops records outside its latency window).
/// </summary>
/// <remarks>This is the single-series path used by <c>vigil detect</c> and the NAB evaluation; the
/// job pipeline drives <see cref="SeriesModelStore"/>, <see cref="BucketScoreAggregator"/> and
/// <see cref="ScoreNormalizer"/> directly for split and multi-detector jobs.</remarks>
public sealed class SingleMetricAnalyzer
{
    private readonly MetricFunction _function;
    private readonly long _spanMs;
    private readonly SeriesModelStore _store;
    private readonly int _series;
    private readonly BucketScoreAggregator _aggregator = new();
    private readonly ScoreNormalizer _normalizer;
    private double[] _medianScratch = new double[16];

    private long _bucketStart = long.MinValue;
    private long _count;
    private double _sum;
    private double _min;
    private double _max;
    private double _welfordMean;
    private double _welfordM2;

    /// <summary>Creates an analyzer for one function over one metric.</summary>
    public SingleMetricAnalyzer(MetricFunction function, SeriesModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _function = function;
        _spanMs = options.BucketSpanMs;
        _store = new SeriesModelStore(options);
        _series = _store.Add();
        _normalizer = new ScoreNormalizer(Math.Max(1, _spanMs / 1000));
    }

    /// <summary>Records ignored because they were earlier than the open bucket.</summary>
    public long OutOfOrderRecords { get; private set; }

    /// <summary>The model store (one series).</summary>
    public SeriesModelStore Models => _store;

    /// <summary>
    /// Adds a record. Closes any buckets that end at or before its time, writing their results
    /// to <paramref name="closed"/>; returns how many were written (empty buckets of count and sum
    /// are results too). When <paramref name="closed"/> is too small, the remaining closed empty
    /// buckets are still modelled but not reported.
    /// </summary>
    public int Add(long timeMs, double value, Span<BucketResult> closed)
    {
        var start = AlignedStart(timeMs);
        var written = 0;
        if (_bucketStart == long.MinValue)
        {
            _bucketStart = start;
        }
        else if (start < _bucketStart)
        {
            OutOfOrderRecords++;
            return 0;
        }
        else if (start > _bucketStart)
        {
            written = CloseUntil(start, closed);
        }

        if (_function.NeedsField && !double.IsFinite(value))
        {
            return written;
        }

        Accumulate(value);
        return written;
    }

    /// <summary>Closes the open bucket (end of input) and returns whether a result was written.</summary>
    public bool Flush(out BucketResult result)
    {
        result = default;
        if (_bucketStart == long.MinValue || (_count == 0 && !_function.EmptyBucketIsZero))
        {
            return false;
        }

        result = CloseCurrent();
        _bucketStart = long.MinValue;
        return true;
    }

    private int CloseUntil(long start, Span<BucketResult> closed)
    {
        var written = 0;
        while (_bucketStart < start)
        {
            if (_count > 0 || _function.EmptyBucketIsZero)
            {
                var result = CloseCurrent();
                if (written < closed.Length)
                {
                    closed[written++] = result;
                }
            }

            _bucketStart += _spanMs;
            if (_count == 0 && !_function.EmptyBucketIsZero && _bucketStart < start)
            {
                // Skip a run of empty buckets at once.
                _bucketStart = start;
            }
        }

        return written;
    }

    private BucketResult CloseCurrent()
    {
        var value = BucketValue();
        var records = _count;
        var series = _store.ScoreThenUpdate(_series, _bucketStart, value, Math.Max(1, records), _function.Tail);
        _aggregator.Reset();
        _aggregator.Add(series.Probability);
        var raw = _aggregator.RawScoreValue;
        _normalizer.Update(0, raw);
        var score = _normalizer.Normalize(0, raw, _aggregator.Probability);
        ResetBucket();
        return new BucketResult(_bucketStart, records, series, raw, score);
    }

    private double BucketValue()
    {
        if (_count == 0)
        {
            return 0.0;
        }

        return _function.Statistic switch
        {
            MetricStatistic.Count => _count,
            MetricStatistic.Sum => _sum,
            MetricStatistic.Mean => _sum / _count,
            MetricStatistic.Min => _min,
            MetricStatistic.Max => _max,
            MetricStatistic.Varp => _welfordM2 / _count,
            MetricStatistic.Median => Median(),
            _ => double.NaN,
        };
    }

    private double Median()
    {
        var values = _medianScratch.AsSpan(0, (int)_count);
        values.Sort();
        var mid = values.Length / 2;
        return values.Length % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
    }

    private void Accumulate(double value)
    {
        if (_function.Statistic == MetricStatistic.Median)
        {
            if (_count == _medianScratch.Length)
            {
                Array.Resize(ref _medianScratch, _medianScratch.Length * 2);
            }

            _medianScratch[_count] = value;
        }

        _count++;
        if (!_function.NeedsField)
        {
            return;
        }

        _sum += value;
        if (_count == 1)
        {
            _min = value;
            _max = value;
        }
        else
        {
            _min = Math.Min(_min, value);
            _max = Math.Max(_max, value);
        }

        var delta = value - _welfordMean;
        _welfordMean += delta / _count;
        _welfordM2 += delta * (value - _welfordMean);
    }

    private void ResetBucket()
    {
        _count = 0;
        _sum = 0;
        _min = 0;
        _max = 0;
        _welfordMean = 0;
        _welfordM2 = 0;
    }

    private long AlignedStart(long timeMs)
    {
        var r = timeMs % _spanMs;
        if (r < 0)
        {
            r += _spanMs;
        }

        return timeMs - r;
    }
}
