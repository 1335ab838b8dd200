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
/// feature, simplified): ml-cpp gives each attribute a multivariate multimodal prior of every person's bucket mean
/// (lat, lon), treated as plain 2-D values: a mixture of 2-D normal modes that its online x-means clustering splits
/// when a split improves the BIC, and scores a person by the probability of positions less likely than theirs.
/// Here each attribute keeps the last <see cref="RingSamples"/> samples (with their weights) and, every
/// <see cref="ReclusterEvery"/> buckets, clusters them by weighted k-means for k = 1 to <see cref="MaxClusters"/>
/// (deterministic farthest-point seeding), keeping the k with the lowest BIC among those whose clusters all have a
/// weight of at least <see cref="MinimumClusterWeight"/> (so a few down-weighted outliers never form a mode). Between
/// reclusterings a sample updates the nearest cluster (Mahalanobis distance) as a decayed weighted mean and
/// covariance. Each cluster is a bivariate Student-t with ν = 5 and the cluster's covariance
/// (heavier than normal, since the population mixes people). The probability of a position x is that of positions at
/// most as likely as x under the mixture, Σₖ πₖ Pₖ(πₖ fₖ(Y) ≤ f(x)), each term exact for a bivariate t (its density
/// is a function of the Mahalanobis distance d, and P(D² ≥ d²) = (1 + d²/ν)^(−ν/2)); clusters are treated as not
/// overlapping. With one cluster this is (1 + d²/ν)^(−ν/2); a position at the centre of any cluster has p = 1.
/// Samples are learned after every person of the bucket was scored, down-weighted as outliers as
/// <see cref="PopulationModel"/> does (ml-cpp's rule), and the clusters decay per bucket with ml-cpp's default rate. No person-frequency weighting, no wrap-around at the antimeridian (as ml-cpp:
/// positions are plain numbers).</para>
/// <para>A person is scored once the attribute has at least 8 buckets and 20 samples of history (as
/// <see cref="PopulationModel"/>).</para>
/// </remarks>
internal sealed class GeoPopulationModel
{
    /// <summary>Most clusters per attribute.</summary>
    public const int MaxClusters = 4;

    private const double Nu = 5.0;
    private const double LogTwoPi = 1.8378770664093453;
    private const int MinimumBuckets = 8;
    private const double MinimumSamples = 20;

    /// <summary>Smallest variance of a cluster in either axis, in square degrees (about 110 m standard deviation).</summary>
    private const double VarianceFloor = 1e-6;

    private const int ClusterDoubles = 6; // weight, mean lat, mean lon, var lat, cov, var lon

    /// <summary>Samples each attribute keeps for reclustering.</summary>
    internal const int RingSamples = 256;

    /// <summary>Buckets of an attribute between two reclusterings.</summary>
    internal const int ReclusterEvery = 4;

    /// <summary>Smallest weight of a cluster found by reclustering (ml-cpp also refuses splits into tiny clusters).</summary>
    internal const double MinimumClusterWeight = 4.0;

    private const int KMeansIterations = 8;

    private readonly double _decayPerBucket;
    private int _count;

    // Per attribute.
    private int[] _clusters = new int[1];
    private int[] _buckets = new int[1];
    private long[] _lastBucket = new long[1];
    private double[] _total = new double[1];

    // Per attribute × cluster × ClusterDoubles.
    private double[] _state = new double[MaxClusters * ClusterDoubles];

    // Per attribute × RingSamples: the latest samples (lat, lon, weight) and how many were ever written.
    private double[] _ring = new double[RingSamples * 3];
    private long[] _ringWritten = new long[1];

    // The bucket each attribute was last reclustered in (transient: a bucket is committed at once, so a restored
    // model never needs it).
    private long[] _reclustered = new long[1];

    // Reclustering scratch.
    private readonly int[] _assign = new int[RingSamples];
    private readonly double[] _trial = new double[MaxClusters * ClusterDoubles];
    private readonly double[] _best = new double[MaxClusters * ClusterDoubles];

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

    /// <summary>Bytes of model state: attribute columns, clusters, kept samples, pending samples and reclustering scratch.</summary>
    public long ModelBytes =>
        ((long)_clusters.Length * 40) + ((long)_state.Length * 8) + ((long)_ring.Length * 8) + ((long)_pendAttribute.Length * 28)
        + (RingSamples * 4) + (2 * MaxClusters * ClusterDoubles * 8);

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
            Array.Resize(ref _ring, size * RingSamples * 3);
            Array.Resize(ref _ringWritten, size);
            Array.Resize(ref _reclustered, size);
        }

        _lastBucket[_count] = long.MinValue;
        _reclustered[_count] = long.MinValue;
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

        // Log density of each cluster's bivariate Student-t at the position (scale matrix S = Σ (ν − 2) / ν, so the
        // cluster's covariance is Σ), and of the mixture.
        Span<double> logDensity = stackalloc double[MaxClusters];
        Span<double> logNorm = stackalloc double[MaxClusters];
        var total = 0.0;
        for (var k = 0; k < n; k++)
        {
            total += _state[Offset(a, k)];
        }

        var best = 0;
        var bestLog = double.NegativeInfinity;
        for (var k = 0; k < n; k++)
        {
            var o = Offset(a, k);
            var d2 = Distance2(o, lat, lon, out var det) * Nu / (Nu - 2.0);
            logNorm[k] = LogTwoPi + (0.5 * Math.Log(det * Square((Nu - 2.0) / Nu)));
            logDensity[k] = -logNorm[k] - ((Nu + 2.0) / 2.0 * Math.Log(1.0 + (d2 / Nu)));
            var weighted = Math.Log(_state[o] / total) + logDensity[k];
            if (weighted > bestLog)
            {
                bestLog = weighted;
                best = k;
            }
        }

        var mixture = 0.0;
        for (var k = 0; k < n; k++)
        {
            mixture += _state[Offset(a, k)] / total * Math.Exp(logDensity[k] - logDensity[best]);
        }

        var logMixture = logDensity[best] + Math.Log(mixture);

        // P(f(Y) ≤ f(x)): in cluster k the positions whose weighted density πₖ fₖ is at most the mixture's at x. A
        // bivariate t's density is a function of d², and P(D² ≥ d²) = (1 + d²/ν)^(−ν/2), so that mass is
        // min(1, (f(x) / πₖ · 2π √det S)^(ν/(ν+2))).
        var p = 0.0;
        for (var k = 0; k < n; k++)
        {
            var share = _state[Offset(a, k)] / total;
            if (share > 0)
            {
                var logLevel = logMixture - Math.Log(share) + logNorm[k];
                p += share * Math.Exp(Math.Min(0.0, Nu / (Nu + 2.0) * logLevel));
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

        for (var i = 0; i < _pendingCount; i++)
        {
            // Once per attribute of the bucket (the first of its samples), every ReclusterEvery buckets.
            var a = _pendAttribute[i];
            if (_buckets[a] % ReclusterEvery == 0 && _reclustered[a] != bucketIndex)
            {
                _reclustered[a] = bucketIndex;
                Recluster(a);
            }
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
        ColumnIo.Write<double>(writer, _ring.AsSpan(0, _count * RingSamples * 3));
        ColumnIo.Write<long>(writer, _ringWritten.AsSpan(0, _count));
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
        ColumnIo.Read(ref source, model._ring.AsSpan(0, count * RingSamples * 3));
        ColumnIo.Read(ref source, model._ringWritten.AsSpan(0, count));
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
    private double Distance2(int o, double lat, double lon) => Distance2(o, lat, lon, out _);

    /// <summary>Squared Mahalanobis distance of (lat, lon) to the cluster at <paramref name="o"/> and its covariance's determinant.</summary>
    private double Distance2(int o, double lat, double lon, out double det)
    {
        var (vxx, vxy, vyy) = Floored(_state[o + 3], _state[o + 4], _state[o + 5]);
        det = (vxx * vyy) - (vxy * vxy);
        var dx = lat - _state[o + 1];
        var dy = lon - _state[o + 2];
        return ((vyy * dx * dx) - (2 * vxy * dx * dy) + (vxx * dy * dy)) / det;
    }

    private void Learn(int a, double lat, double lon, double weight)
    {
        var r = ((a * RingSamples) + (int)(_ringWritten[a] % RingSamples)) * 3;
        _ring[r] = lat;
        _ring[r + 1] = lon;
        _ring[r + 2] = weight;
        _ringWritten[a]++;
        _total[a] += weight;
        var n = _clusters[a];
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

    /// <summary>
    /// Replaces attribute <paramref name="a"/>'s clusters by the weighted k-means clustering of its kept samples with
    /// the lowest BIC (k = 1 to <see cref="MaxClusters"/>, every cluster weighing at least
    /// <see cref="MinimumClusterWeight"/>); the clusters keep the attribute's decayed total weight, shared as the samples.
    /// </summary>
    private void Recluster(int a)
    {
        var n = (int)Math.Min(_ringWritten[a], RingSamples);
        var ring = _ring.AsSpan(a * RingSamples * 3, n * 3);
        var sampleWeight = 0.0;
        for (var i = 0; i < n; i++)
        {
            sampleWeight += ring[(i * 3) + 2];
        }

        if (sampleWeight < MinimumSamples)
        {
            return;
        }

        var bestK = 0;
        var bestBic = double.PositiveInfinity;
        for (var k = 1; k <= MaxClusters; k++)
        {
            if (!KMeans(ring, n, k))
            {
                break;
            }

            var ll = 0.0;
            for (var i = 0; i < n; i++)
            {
                ll += ring[(i * 3) + 2] * Math.Log(Math.Max(MixtureDensity(_trial, k, sampleWeight, ring[i * 3], ring[(i * 3) + 1]), 1e-300));
            }

            var bic = (-2.0 * ll) + (((6.0 * k) - 1.0) * Math.Log(sampleWeight));
            if (bic < bestBic)
            {
                bestBic = bic;
                bestK = k;
                _trial.AsSpan(0, k * ClusterDoubles).CopyTo(_best);
            }
        }

        if (bestK == 0)
        {
            return;
        }

        var scale = _total[a] / sampleWeight;
        for (var k = 0; k < bestK; k++)
        {
            var o = k * ClusterDoubles;
            NewCluster(a, k, _best[o + 1], _best[o + 2], _best[o] * scale, _best[o + 3], _best[o + 4], _best[o + 5]);
        }

        _clusters[a] = bestK;
    }

    /// <summary>
    /// Weighted k-means of the <paramref name="n"/> samples into <see cref="_trial"/> (weight, mean, covariance per
    /// cluster), seeded with the sample nearest the weighted mean and then, one at a time, the sample farthest (weighted)
    /// from the seeds. False when a cluster weighs less than <see cref="MinimumClusterWeight"/>.
    /// </summary>
    private bool KMeans(ReadOnlySpan<double> ring, int n, int k)
    {
        var t = _trial;
        Span<double> cx = stackalloc double[MaxClusters];
        Span<double> cy = stackalloc double[MaxClusters];
        double mx = 0, my = 0, mw = 0;
        for (var i = 0; i < n; i++)
        {
            var w = ring[(i * 3) + 2];
            mx += w * ring[i * 3];
            my += w * ring[(i * 3) + 1];
            mw += w;
        }

        mx /= mw;
        my /= mw;
        var seed = 0;
        var seedD = double.MaxValue;
        for (var i = 0; i < n; i++)
        {
            var d = Square(ring[i * 3] - mx) + Square(ring[(i * 3) + 1] - my);
            if (d < seedD)
            {
                seedD = d;
                seed = i;
            }
        }

        cx[0] = ring[seed * 3];
        cy[0] = ring[(seed * 3) + 1];
        for (var c = 1; c < k; c++)
        {
            var far = 0;
            var farD = -1.0;
            for (var i = 0; i < n; i++)
            {
                var d = ring[(i * 3) + 2] * NearestSquare(cx, cy, c, ring[i * 3], ring[(i * 3) + 1], out _);
                if (d > farD)
                {
                    farD = d;
                    far = i;
                }
            }

            cx[c] = ring[far * 3];
            cy[c] = ring[(far * 3) + 1];
        }

        for (var iteration = 0; iteration < KMeansIterations; iteration++)
        {
            t.AsSpan(0, k * ClusterDoubles).Clear();
            var moved = false;
            for (var i = 0; i < n; i++)
            {
                NearestSquare(cx, cy, k, ring[i * 3], ring[(i * 3) + 1], out var c);
                moved |= iteration == 0 || _assign[i] != c;
                _assign[i] = c;
                var w = ring[(i * 3) + 2];
                t[c * ClusterDoubles] += w;
                t[(c * ClusterDoubles) + 1] += w * ring[i * 3];
                t[(c * ClusterDoubles) + 2] += w * ring[(i * 3) + 1];
            }

            for (var c = 0; c < k; c++)
            {
                var o = c * ClusterDoubles;
                if (!(t[o] > 0))
                {
                    return false;
                }

                cx[c] = t[o + 1] / t[o];
                cy[c] = t[o + 2] / t[o];
            }

            if (!moved)
            {
                break;
            }
        }

        // Weights, means and covariances of the final assignment.
        t.AsSpan(0, k * ClusterDoubles).Clear();
        for (var c = 0; c < k; c++)
        {
            t[(c * ClusterDoubles) + 1] = cx[c];
            t[(c * ClusterDoubles) + 2] = cy[c];
        }

        for (var i = 0; i < n; i++)
        {
            var o = _assign[i] * ClusterDoubles;
            var w = ring[(i * 3) + 2];
            var dx = ring[i * 3] - t[o + 1];
            var dy = ring[(i * 3) + 1] - t[o + 2];
            t[o] += w;
            t[o + 3] += w * dx * dx;
            t[o + 4] += w * dx * dy;
            t[o + 5] += w * dy * dy;
        }

        for (var c = 0; c < k; c++)
        {
            var o = c * ClusterDoubles;
            if (t[o] < MinimumClusterWeight)
            {
                return false;
            }

            t[o + 3] /= t[o];
            t[o + 4] /= t[o];
            t[o + 5] /= t[o];
        }

        return true;
    }

    /// <summary>Squared Euclidean distance from (x, y) to the nearest of the first <paramref name="k"/> centres.</summary>
    private static double NearestSquare(ReadOnlySpan<double> cx, ReadOnlySpan<double> cy, int k, double x, double y, out int nearest)
    {
        nearest = 0;
        var best = double.MaxValue;
        for (var c = 0; c < k; c++)
        {
            var d = Square(x - cx[c]) + Square(y - cy[c]);
            if (d < best)
            {
                best = d;
                nearest = c;
            }
        }

        return best;
    }

    /// <summary>Density at (x, y) of the normal mixture of the first <paramref name="k"/> clusters of <paramref name="t"/>.</summary>
    private static double MixtureDensity(double[] t, int k, double totalWeight, double x, double y)
    {
        var density = 0.0;
        for (var c = 0; c < k; c++)
        {
            var o = c * ClusterDoubles;
            var (vxx, vxy, vyy) = Floored(t[o + 3], t[o + 4], t[o + 5]);
            var det = (vxx * vyy) - (vxy * vxy);
            var dx = x - t[o + 1];
            var dy = y - t[o + 2];
            var d2 = ((vyy * dx * dx) - (2 * vxy * dx * dy) + (vxx * dy * dy)) / det;
            density += t[o] / totalWeight * Math.Exp(-0.5 * d2) / (2 * Math.PI * Math.Sqrt(det));
        }

        return density;
    }

    /// <summary>A covariance with both variances floored and |correlation| at most 0.99 (positive definite).</summary>
    private static (double Vxx, double Vxy, double Vyy) Floored(double vxx, double vxy, double vyy)
    {
        vxx = Math.Max(vxx, VarianceFloor);
        vyy = Math.Max(vyy, VarianceFloor);
        var limit = 0.99 * Math.Sqrt(vxx * vyy);
        return (vxx, Math.Clamp(vxy, -limit, limit), vyy);
    }

    private static double Square(double x) => x * x;

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
