using System.Buffers;
using System.Buffers.Binary;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>The score of one person's bucket position against an attribute's population of positions.</summary>
/// <param name="Scored">False while the attribute has too little history (the probability is then 1).</param>
/// <param name="Probability">Probability of a position at most as likely as the person's.</param>
/// <param name="TypicalLat">Latitude of the population cluster that explains the position best.</param>
/// <param name="TypicalLon">Longitude of that cluster.</param>
internal readonly record struct GeoScore(bool Scored, double Probability, double TypicalLat, double TypicalLon);

/// <summary>
/// Population models of positions for <c>lat_long</c> over-field analysis: per attribute (partition × by value),
/// a mixture of up to <see cref="MaxClusters"/> two-dimensional clusters of the people's bucket mean positions,
/// stored as SoA columns.
/// </summary>
/// <remarks>
/// <para>Implementation note (mirrors ml-cpp's <c>CMetricPopulationModel</c> with the mean latitude/longitude
/// feature, simplified): ml-cpp gives each attribute a multivariate multimodal prior (a mixture of 2-D normal modes
/// found by clustering) of every person's bucket mean (lat, lon), treated as plain 2-D values, and scores a person by
/// the probability of positions less likely than theirs. Here a cluster is a decayed weighted mean and covariance;
/// a sample joins the cluster nearest in Mahalanobis distance, or, once the attribute is warmed up and the sample is
/// farther than every cluster's 99.9% ellipse, starts a new cluster (with the heaviest cluster's covariance) while
/// fewer than <see cref="MaxClusters"/> exist. The probability of a position is Σₖ πₖ (1 + d²ₖ/ν)^(−ν/2), the
/// mixture of each cluster's exact tail for a bivariate Student-t with ν = 5 (heavier than normal, since the
/// population mixes people), dₖ the Mahalanobis distance to cluster k. Samples are learned after every person of
/// the bucket was scored, down-weighted as outliers as <see cref="PopulationModel"/> does (ml-cpp's rule), and the
/// clusters decay per bucket with ml-cpp's default rate. No person-frequency weighting, no merging or splitting of
/// clusters after they form, no wrap-around at the antimeridian (as ml-cpp).</para>
/// <para>A person is scored once the attribute has at least 8 buckets and 20 samples of history (as
/// <see cref="PopulationModel"/>).</para>
/// </remarks>
internal sealed class GeoPopulationModel
{
    /// <summary>Most clusters per attribute.</summary>
    public const int MaxClusters = 4;

    private const double Nu = 5.0;
    private const int MinimumBuckets = 8;
    private const double MinimumSamples = 20;

    /// <summary>Squared Mahalanobis distance of the 99.9% ellipse of a 2-D normal (−2 ln 0.001).</summary>
    private const double NewClusterDistance2 = 13.815510557964274;

    /// <summary>Smallest variance of a cluster in either axis, in square degrees (about 110 m standard deviation).</summary>
    private const double VarianceFloor = 1e-6;

    private const int ClusterDoubles = 6; // weight, mean lat, mean lon, var lat, cov, var lon

    private readonly double _decayPerBucket;
    private int _count;

    // Per attribute.
    private int[] _clusters = new int[16];
    private int[] _buckets = new int[16];
    private long[] _lastBucket = new long[16];
    private double[] _total = new double[16];

    // Per attribute × cluster × ClusterDoubles.
    private double[] _state = new double[16 * MaxClusters * ClusterDoubles];

    // Samples of the bucket being scored, learned by Commit.
    private int[] _pendAttribute = new int[16];
    private double[] _pendLat = new double[16];
    private double[] _pendLon = new double[16];
    private double[] _pendWeight = new double[16];
    private int _pendingCount;

    /// <summary>Creates an empty model set.</summary>
    public GeoPopulationModel(long bucketSpanMs)
    {
        _decayPerBucket = 0.0005 * Math.Min(1.0, bucketSpanMs / 1_800_000.0);
    }

    /// <summary>Number of attributes.</summary>
    public int Count => _count;

    /// <summary>Bytes of model state (attribute columns, cluster state and the pending samples).</summary>
    public long ModelBytes => ((long)_clusters.Length * 24) + ((long)_state.Length * 8) + ((long)_pendAttribute.Length * 28);

    /// <summary>Adds an attribute model and returns its id.</summary>
    public int Add()
    {
        if (_count == _clusters.Length)
        {
            var size = _count * 2;
            Array.Resize(ref _clusters, size);
            Array.Resize(ref _buckets, size);
            Array.Resize(ref _lastBucket, size);
            Array.Resize(ref _total, size);
            Array.Resize(ref _state, size * MaxClusters * ClusterDoubles);
        }

        _lastBucket[_count] = long.MinValue;
        return _count++;
    }

    /// <summary>Scores a person's bucket position against attribute <paramref name="attribute"/> (no update).</summary>
    public GeoScore Score(int attribute, double lat, double lon)
    {
        var a = attribute;
        var n = _clusters[a];
        if (n == 0 || !double.IsFinite(lat) || !double.IsFinite(lon) || _buckets[a] < MinimumBuckets || _total[a] < MinimumSamples)
        {
            var (tLat, tLon) = n > 0 ? Centre(a, Heaviest(a)) : (lat, lon);
            return new GeoScore(false, 1.0, tLat, tLon);
        }

        var p = 0.0;
        var best = 0;
        var bestTerm = -1.0;
        var total = 0.0;
        for (var k = 0; k < n; k++)
        {
            total += _state[Offset(a, k)];
        }

        for (var k = 0; k < n; k++)
        {
            var o = Offset(a, k);
            var weight = _state[o];

            // Scale matrix of the Student-t whose covariance is the cluster's: Σ (ν − 2) / ν.
            var d2 = Distance2(o, lat, lon) * Nu / (Nu - 2.0);
            var term = weight / total * Math.Pow(1.0 + (d2 / Nu), -Nu / 2.0);
            p += term;
            if (term > bestTerm)
            {
                bestTerm = term;
                best = k;
            }
        }

        var (typLat, typLon) = Centre(a, best);
        return new GeoScore(true, Math.Clamp(p, double.Epsilon, 1.0), typLat, typLon);
    }

    /// <summary>Queues a sample for the attribute's update at the end of the bucket.</summary>
    /// <param name="attribute">Attribute id.</param>
    /// <param name="lat">The person's bucket mean latitude.</param>
    /// <param name="lon">The person's bucket mean longitude.</param>
    /// <param name="probability">The position's probability (for outlier down-weighting; 1 when not scored).</param>
    public void Queue(int attribute, double lat, double lon, double probability)
    {
        if (!double.IsFinite(lat) || !double.IsFinite(lon))
        {
            return;
        }

        if (_pendingCount == _pendAttribute.Length)
        {
            var size = _pendingCount * 2;
            Array.Resize(ref _pendAttribute, size);
            Array.Resize(ref _pendLat, size);
            Array.Resize(ref _pendLon, size);
            Array.Resize(ref _pendWeight, size);
        }

        _pendAttribute[_pendingCount] = attribute;
        _pendLat[_pendingCount] = lat;
        _pendLon[_pendingCount] = lon;
        _pendWeight[_pendingCount] = PopulationModel.OutlierWeight(probability);
        _pendingCount++;
    }

    /// <summary>Learns the queued samples of bucket <paramref name="bucketIndex"/>, in the order they were queued.</summary>
    public void Commit(long bucketIndex)
    {
        for (var i = 0; i < _pendingCount; i++)
        {
            var a = _pendAttribute[i];
            if (_lastBucket[a] != bucketIndex)
            {
                // First sample of the bucket for this attribute: age its clusters, count the bucket.
                if (_lastBucket[a] != long.MinValue)
                {
                    var age = Math.Exp(-_decayPerBucket * Math.Max(1, bucketIndex - _lastBucket[a]));
                    for (var k = 0; k < _clusters[a]; k++)
                    {
                        _state[Offset(a, k)] *= age;
                    }

                    _total[a] *= age;
                }

                _lastBucket[a] = bucketIndex;
                _buckets[a]++;
            }

            Learn(a, _pendLat[i], _pendLon[i], _pendWeight[i]);
        }

        _pendingCount = 0;
    }

    /// <summary>Writes the models.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(header, _count);
        writer.Advance(4);
        ColumnIo.Write<int>(writer, _clusters.AsSpan(0, _count));
        ColumnIo.Write<int>(writer, _buckets.AsSpan(0, _count));
        ColumnIo.Write<long>(writer, _lastBucket.AsSpan(0, _count));
        ColumnIo.Write<double>(writer, _total.AsSpan(0, _count));
        ColumnIo.Write<double>(writer, _state.AsSpan(0, _count * MaxClusters * ClusterDoubles));
    }

    /// <summary>Restores models written by <see cref="Save"/>.</summary>
    public static GeoPopulationModel Load(ReadOnlySpan<byte> source, long bucketSpanMs)
    {
        var model = new GeoPopulationModel(bucketSpanMs);
        var count = BinaryPrimitives.ReadInt32LittleEndian(source);
        source = source[4..];
        for (var i = 0; i < count; i++)
        {
            model.Add();
        }

        ColumnIo.Read(ref source, model._clusters.AsSpan(0, count));
        ColumnIo.Read(ref source, model._buckets.AsSpan(0, count));
        ColumnIo.Read(ref source, model._lastBucket.AsSpan(0, count));
        ColumnIo.Read(ref source, model._total.AsSpan(0, count));
        ColumnIo.Read(ref source, model._state.AsSpan(0, count * MaxClusters * ClusterDoubles));
        return model;
    }

    private static int Offset(int attribute, int cluster) => ((attribute * MaxClusters) + cluster) * ClusterDoubles;

    private (double Lat, double Lon) Centre(int a, int k)
    {
        var o = Offset(a, k);
        return (_state[o + 1], _state[o + 2]);
    }

    private int Heaviest(int a)
    {
        var best = 0;
        for (var k = 1; k < _clusters[a]; k++)
        {
            if (_state[Offset(a, k)] > _state[Offset(a, best)])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>Squared Mahalanobis distance of (lat, lon) to the cluster at <paramref name="o"/> (variances floored).</summary>
    private double Distance2(int o, double lat, double lon)
    {
        var vxx = Math.Max(_state[o + 3], VarianceFloor);
        var vyy = Math.Max(_state[o + 5], VarianceFloor);
        var vxy = _state[o + 4];

        // Keep the covariance matrix positive definite (|correlation| ≤ 0.99).
        var limit = 0.99 * Math.Sqrt(vxx * vyy);
        vxy = Math.Clamp(vxy, -limit, limit);
        var det = (vxx * vyy) - (vxy * vxy);
        var dx = lat - _state[o + 1];
        var dy = lon - _state[o + 2];
        return ((vyy * dx * dx) - (2 * vxy * dx * dy) + (vxx * dy * dy)) / det;
    }

    private void Learn(int a, double lat, double lon, double weight)
    {
        var n = _clusters[a];
        _total[a] += weight;
        if (n == 0)
        {
            NewCluster(a, 0, lat, lon, weight, 0, 0, 0);
            _clusters[a] = 1;
            return;
        }

        var nearest = 0;
        var nearestD2 = double.MaxValue;
        for (var k = 0; k < n; k++)
        {
            var d2 = Distance2(Offset(a, k), lat, lon);
            if (d2 < nearestD2)
            {
                nearestD2 = d2;
                nearest = k;
            }
        }

        var warmedUp = _buckets[a] >= MinimumBuckets && _total[a] >= MinimumSamples;
        if (warmedUp && nearestD2 > NewClusterDistance2 && n < MaxClusters)
        {
            // A position far from every cluster starts one, shaped like the heaviest cluster.
            var h = Offset(a, Heaviest(a));
            NewCluster(a, n, lat, lon, weight, _state[h + 3], _state[h + 4], _state[h + 5]);
            _clusters[a] = n + 1;
            return;
        }

        // Weighted update of the mean and covariance: C' = (W·C + w·(W/W')·δδᵀ) / W'.
        var o = Offset(a, nearest);
        var w0 = _state[o];
        var w1 = w0 + weight;
        var dx = lat - _state[o + 1];
        var dy = lon - _state[o + 2];
        var f = weight * w0 / w1;
        _state[o + 3] = ((w0 * _state[o + 3]) + (f * dx * dx)) / w1;
        _state[o + 4] = ((w0 * _state[o + 4]) + (f * dx * dy)) / w1;
        _state[o + 5] = ((w0 * _state[o + 5]) + (f * dy * dy)) / w1;
        _state[o + 1] += dx * weight / w1;
        _state[o + 2] += dy * weight / w1;
        _state[o] = w1;
    }

    private void NewCluster(int a, int k, double lat, double lon, double weight, double vxx, double vxy, double vyy)
    {
        var o = Offset(a, k);
        _state[o] = weight;
        _state[o + 1] = lat;
        _state[o + 2] = lon;
        _state[o + 3] = vxx;
        _state[o + 4] = vxy;
        _state[o + 5] = vyy;
    }
}
