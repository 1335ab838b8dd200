using System.Buffers;
using System.Buffers.Binary;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Population models for over-field analysis: one model per attribute (partition × by value) of the
/// bucket values of every person (over value) that has that attribute, stored as SoA columns.
/// </summary>
/// <remarks>
/// <para>Implementation note (mirrors ml-cpp's population models, simplified): every person's bucket
/// value is one sample of its attribute's distribution, and a person is scored against the model as it
/// was before the bucket (all people of a bucket are scored first, then the model learns the bucket).
/// The model is an exponentially weighted mean and variance of the samples, decayed per bucket with ml-cpp's default rate (0.0005 per 30 minutes,
/// scaled by the span) and with ml-cpp's outlier down-weighting (weight 1 at p ≥ 1e-3, 0.01 at
/// p ≤ 1e-5). Probabilities use a Student-t with 5 degrees of freedom (heavier tails than normal,
/// since the population mixes people). One-sided functions use p = min(1, 2·(1 − F)) as ml-cpp.
/// There is no trend or seasonality and no sample weighting by person frequency.</para>
/// <para>A person is scored once the attribute has at least 8 buckets and 20 samples of history.</para>
/// </remarks>
internal sealed class PopulationModel
{
    private const double Nu = 5.0;
    private const double VarianceT5 = 5.0 / 3.0; // variance of a Student-t with 5 degrees of freedom.
    private const double Quantile975T5 = 2.5706;
    private const int MinimumBuckets = 8;
    private const double MinimumSamples = 20;

    private readonly double _decayPerBucket;
    private int _count;
    private double[] _weight = new double[16];
    private double[] _mean = new double[16];
    private double[] _var = new double[16];
    private int[] _buckets = new int[16];
    private long[] _lastBucket = new long[16];

    // Per-bucket pending updates, applied after every person of the bucket was scored.
    private double[] _pendSum = new double[16];
    private double[] _pendWeight = new double[16];
    private double[] _pendSq = new double[16];
    private int[] _pending = new int[16];
    private bool[] _isPending = new bool[16];
    private int _pendingCount;

    /// <summary>Creates an empty model set.</summary>
    public PopulationModel(long bucketSpanMs)
    {
        _decayPerBucket = 0.0005 * Math.Min(1.0, bucketSpanMs / 1_800_000.0);
    }

    /// <summary>Number of attributes.</summary>
    public int Count => _count;

    /// <summary>Bytes of model state.</summary>
    public long ModelBytes => (long)_weight.Length * 68;

    /// <summary>Adds an attribute model and returns its id.</summary>
    public int Add()
    {
        if (_count == _weight.Length)
        {
            var size = _count * 2;
            Array.Resize(ref _weight, size);
            Array.Resize(ref _mean, size);
            Array.Resize(ref _var, size);
            Array.Resize(ref _buckets, size);
            Array.Resize(ref _lastBucket, size);
            Array.Resize(ref _pendSum, size);
            Array.Resize(ref _pendWeight, size);
            Array.Resize(ref _pendSq, size);
            Array.Resize(ref _isPending, size);
        }

        _lastBucket[_count] = long.MinValue;
        return _count++;
    }

    /// <summary>Scores one person's bucket value against attribute <paramref name="attribute"/> (no update).</summary>
    public SeriesResult Score(int attribute, double value, Tail tail)
    {
        var a = attribute;
        var w = _weight[a];
        if (!double.IsFinite(value) || _buckets[a] < MinimumBuckets || w < MinimumSamples)
        {
            var typical0 = w > 0 ? _mean[a] : value;
            return new SeriesResult(false, 1, 1, 1, value, typical0, typical0, typical0, 0, AnomalyType.None);
        }

        var mean = _mean[a];
        var scale = Math.Max(Math.Sqrt(_var[a] / VarianceT5), Math.Max(1e-4 * Math.Abs(mean), 1e-9));
        var z = (value - mean) / scale;
        var logP = SpecialFunctions.LogStudentTwoSidedTail(z, Nu);
        if ((tail == Tail.High && z <= 0) || (tail == Tail.Low && z >= 0))
        {
            logP = 0;
        }

        var p = Math.Max(Math.Exp(logP), double.Epsilon);
        var q = Quantile975T5 * scale;
        var type = p < 0.05 ? (z >= 0 ? AnomalyType.Spike : AnomalyType.Dip) : AnomalyType.None;
        return new SeriesResult(true, p, p, 1, value, mean, mean - q, mean + q, 0, type);
    }

    /// <summary>Queues a sample for the attribute's update at the end of the bucket.</summary>
    /// <param name="attribute">Attribute id.</param>
    /// <param name="value">The person's bucket value.</param>
    /// <param name="probability">The value's probability (for outlier down-weighting; 1 when not scored).</param>
    public void Queue(int attribute, double value, double probability)
    {
        if (!double.IsFinite(value))
        {
            return;
        }

        var a = attribute;
        if (!_isPending[a])
        {
            _isPending[a] = true;
            if (_pendingCount == _pending.Length)
            {
                Array.Resize(ref _pending, _pendingCount * 2);
            }

            _pending[_pendingCount++] = a;
        }

        var w = OutlierWeight(probability);
        _pendWeight[a] += w;
        _pendSum[a] += w * value;
        _pendSq[a] += w * value * value;
    }

    /// <summary>Applies the queued samples of bucket <paramref name="bucketIndex"/>.</summary>
    public void Commit(long bucketIndex)
    {
        for (var i = 0; i < _pendingCount; i++)
        {
            var a = _pending[i];
            var pw = _pendWeight[a];
            _isPending[a] = false;
            if (pw > 0)
            {
                var age = _lastBucket[a] == long.MinValue ? 1.0 : Math.Exp(-_decayPerBucket * Math.Max(1, bucketIndex - _lastBucket[a]));
                var w = _weight[a] * age;
                var total = w + pw;
                var bucketMean = _pendSum[a] / pw;
                var bucketVar = Math.Max(0.0, (_pendSq[a] / pw) - (bucketMean * bucketMean));
                var oldMean = _weight[a] > 0 ? _mean[a] : bucketMean;
                var newMean = ((w * oldMean) + (pw * bucketMean)) / total;
                var dOld = oldMean - newMean;
                var dNew = bucketMean - newMean;
                _var[a] = ((w * (_var[a] + (dOld * dOld))) + (pw * (bucketVar + (dNew * dNew)))) / total;
                _mean[a] = newMean;

                _weight[a] = total;
                _buckets[a]++;
                _lastBucket[a] = bucketIndex;
            }

            _pendWeight[a] = 0;
            _pendSum[a] = 0;
            _pendSq[a] = 0;
        }

        _pendingCount = 0;
    }

    /// <summary>Writes the models.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(header, _count);
        writer.Advance(4);
        ColumnIo.Write<double>(writer, _weight.AsSpan(0, _count));
        ColumnIo.Write<double>(writer, _mean.AsSpan(0, _count));
        ColumnIo.Write<double>(writer, _var.AsSpan(0, _count));
        ColumnIo.Write<int>(writer, _buckets.AsSpan(0, _count));
        ColumnIo.Write<long>(writer, _lastBucket.AsSpan(0, _count));
    }

    /// <summary>Restores models written by <see cref="Save"/>.</summary>
    public static PopulationModel Load(ReadOnlySpan<byte> source, long bucketSpanMs)
    {
        var model = new PopulationModel(bucketSpanMs);
        var count = BinaryPrimitives.ReadInt32LittleEndian(source);
        source = source[4..];
        for (var i = 0; i < count; i++)
        {
            model.Add();
        }

        ColumnIo.Read(ref source, model._weight.AsSpan(0, count));
        ColumnIo.Read(ref source, model._mean.AsSpan(0, count));
        ColumnIo.Read(ref source, model._var.AsSpan(0, count));
        ColumnIo.Read(ref source, model._buckets.AsSpan(0, count));
        ColumnIo.Read(ref source, model._lastBucket.AsSpan(0, count));
        return model;
    }

    /// <summary>Weight of a sample in a population model's update given its probability (outliers count less).</summary>
    internal static double OutlierWeight(double p)
    {
        // ml-cpp: weight 1 at p >= 1e-3, 0.01 at p <= 1e-5, log-interpolated between.
        if (p >= 1e-3)
        {
            return 1.0;
        }

        if (p <= 1e-5)
        {
            return 0.01;
        }

        var f = (Math.Log(p) - Math.Log(1e-5)) / (Math.Log(1e-3) - Math.Log(1e-5));
        return Math.Exp(Math.Log(0.01) * (1 - f));
    }
}
