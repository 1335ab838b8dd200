namespace Vigil.Engine.Analysis.Scoring;

/// <summary>
/// The score normalizers of one job, seen from the stored results: computes the normalized score a stored
/// bucket influencer, record or influencer would get from the normalizers' current state.
/// </summary>
/// <remarks>
/// <para>Implementation note: mirrors Elasticsearch's renormalization (<c>ScoresUpdater</c>, <c>Normalizer</c> and
/// the <c>*Normalizable</c> classes feeding ml-cpp's normalizer process): every result is renormalized by the
/// normalizer that scored it, in its scope — bucket influencers by raw score (<c>bucket_time</c> by the bucket
/// normalizer, the others by their field's), records by probability in their detector feature's normalizer and
/// (partition, person) scope, influencers by probability in their field's normalizer and value scope. The
/// normalizers are not changed. A stored score is only replaced when <see cref="IsBigUpdate"/> says so.</para>
/// <para>A view: it holds the job's normalizers by reference, so build a new one after the job's state is
/// restored.</para>
/// </remarks>
public sealed class ResultNormalizers
{
    /// <summary>The <c>influencer_field_name</c> of the bucket influencer that carries the bucket's own score.</summary>
    public const string BucketTime = "bucket_time";

    private readonly ScoreNormalizer _bucket;
    private readonly IReadOnlyList<string> _influencerFields;
    private readonly ScoreNormalizer[] _bucketInfluencers;
    private readonly ScoreNormalizer[] _influencers;
    private readonly ScoreNormalizer[]?[] _records;

    /// <summary>Creates the view.</summary>
    /// <param name="bucket">The bucket (<c>bucket_time</c>) normalizer.</param>
    /// <param name="influencerFields">Influencer field names, in the order of the two arrays that follow.</param>
    /// <param name="bucketInfluencers">Per influencer field: the bucket-influencer normalizer (scope 0).</param>
    /// <param name="influencers">Per influencer field: the influencer normalizer (one scope per value).</param>
    /// <param name="records">Per <c>detector_index</c>: the record normalizer of each feature (null for no detector).</param>
    public ResultNormalizers(ScoreNormalizer bucket, IReadOnlyList<string> influencerFields, ScoreNormalizer[] bucketInfluencers,
        ScoreNormalizer[] influencers, ScoreNormalizer[]?[] records)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(influencerFields);
        ArgumentNullException.ThrowIfNull(bucketInfluencers);
        ArgumentNullException.ThrowIfNull(influencers);
        ArgumentNullException.ThrowIfNull(records);
        if (bucketInfluencers.Length != influencerFields.Count || influencers.Length != influencerFields.Count)
        {
            throw new ArgumentException("one bucket-influencer and one influencer normalizer per influencer field are needed");
        }

        _bucket = bucket;
        _influencerFields = influencerFields;
        _bucketInfluencers = bucketInfluencers;
        _influencers = influencers;
        _records = records;
    }

    /// <summary>
    /// Whether any normalizer's scope maximum grew by more than 10% since the last call (see
    /// <see cref="ScoreNormalizer.TakeBigChange"/>); resets every flag.
    /// </summary>
    public bool TakeBigChange()
    {
        var changed = _bucket.TakeBigChange();
        for (var k = 0; k < _bucketInfluencers.Length; k++)
        {
            changed |= _bucketInfluencers[k].TakeBigChange();
            changed |= _influencers[k].TakeBigChange();
        }

        foreach (var features in _records)
        {
            if (features is null)
            {
                continue;
            }

            foreach (var normalizer in features)
            {
                changed |= normalizer.TakeBigChange();
            }
        }

        return changed;
    }

    /// <summary>
    /// A copy that holds its own normalizers (not the job's), so stored results can be renormalized on another
    /// thread while the job goes on learning.
    /// </summary>
    public ResultNormalizers Snapshot()
    {
        var bucketInfluencers = new ScoreNormalizer[_bucketInfluencers.Length];
        var influencers = new ScoreNormalizer[_influencers.Length];
        for (var k = 0; k < bucketInfluencers.Length; k++)
        {
            bucketInfluencers[k] = _bucketInfluencers[k].Clone();
            influencers[k] = _influencers[k].Clone();
        }

        var records = new ScoreNormalizer[]?[_records.Length];
        for (var d = 0; d < records.Length; d++)
        {
            if (_records[d] is { } features)
            {
                records[d] = new ScoreNormalizer[features.Length];
                for (var f = 0; f < features.Length; f++)
                {
                    records[d]![f] = features[f].Clone();
                }
            }
        }

        return new ResultNormalizers(_bucket.Clone(), _influencerFields, bucketInfluencers, influencers, records);
    }

    /// <summary>Current score of a stored bucket influencer (<c>bucket_time</c> or an influencer field).</summary>
    /// <param name="influencerFieldName">Its <c>influencer_field_name</c>.</param>
    /// <param name="rawScore">Its <c>raw_anomaly_score</c>.</param>
    /// <param name="probability">Its <c>probability</c>.</param>
    /// <param name="score">The score, when the field is known.</param>
    /// <returns>False when the job has no such influencer field.</returns>
    public bool TryBucketInfluencerScore(string influencerFieldName, double rawScore, double probability, out double score)
    {
        ArgumentNullException.ThrowIfNull(influencerFieldName);
        ScoreNormalizer normalizer;
        if (influencerFieldName == BucketTime)
        {
            normalizer = _bucket;
        }
        else
        {
            var k = FieldIndex(influencerFieldName);
            if (k < 0)
            {
                score = 0;
                return false;
            }

            normalizer = _bucketInfluencers[k];
        }

        score = normalizer.Normalize(0, rawScore, probability);
        return true;
    }

    /// <summary>Current score of a stored record.</summary>
    /// <param name="detectorIndex">Its <c>detector_index</c>.</param>
    /// <param name="feature">The detector feature that scored it (0 unless the function is <c>metric</c>).</param>
    /// <param name="scope">Its normalizer scope (the pipeline's (partition, person) scope id).</param>
    /// <param name="probability">Its <c>probability</c>.</param>
    /// <param name="family">Results its normalizer scored in its bucket (stored with it; 1 when unknown).</param>
    /// <param name="score">The score, when the detector and feature are known.</param>
    /// <returns>False when the job has no such detector or feature.</returns>
    public bool TryRecordScore(int detectorIndex, int feature, int scope, double probability, int family, out double score)
    {
        if ((uint)detectorIndex >= (uint)_records.Length || _records[detectorIndex] is not { } features
            || (uint)feature >= (uint)features.Length || scope < 0)
        {
            score = 0;
            return false;
        }

        score = features[feature].Normalize(scope, RawOf(probability), probability, family);
        return true;
    }

    /// <summary>Current score of a stored influencer.</summary>
    /// <param name="influencerFieldName">Its <c>influencer_field_name</c>.</param>
    /// <param name="scope">Its normalizer scope (the pipeline's value scope id).</param>
    /// <param name="probability">Its <c>probability</c>.</param>
    /// <param name="family">Values of its field its normalizer scored in its bucket (stored with it; 1 when unknown).</param>
    /// <param name="score">The score, when the field is known.</param>
    /// <returns>False when the job has no such influencer field.</returns>
    public bool TryInfluencerScore(string influencerFieldName, int scope, double probability, int family, out double score)
    {
        ArgumentNullException.ThrowIfNull(influencerFieldName);
        var k = FieldIndex(influencerFieldName);
        if (k < 0 || scope < 0)
        {
            score = 0;
            return false;
        }

        score = _influencers[k].Normalize(scope, RawOf(probability), probability, family);
        return true;
    }

    /// <summary>
    /// Whether a renormalized score differs enough from the stored one to be written: it changes severity band
    /// (the 25-wide bands 0–25, 25–50, 50–75, 75–100), or moves by at least 1.5, or the smaller of the two is
    /// below a third of the larger.
    /// </summary>
    /// <remarks>Implementation note: Elasticsearch's <c>Normalizer.isBigUpdate</c> rule, chosen there to limit
    /// the writes renormalization causes.</remarks>
    public static bool IsBigUpdate(double oldScore, double newScore)
    {
        if ((int)(oldScore / 25.0) != (int)(newScore / 25.0))
        {
            return true;
        }

        if (Math.Abs(oldScore - newScore) >= 1.5)
        {
            return true;
        }

        return oldScore > newScore ? oldScore * 0.33 > newScore : newScore * 0.33 > oldScore;
    }

    /// <summary>The raw score the pipeline fed for a probability (0 above ml-cpp's maximum anomalous probability).</summary>
    private static double RawOf(double probability) =>
        probability <= RawScore.MaximumAnomalousProbability ? RawScore.FromProbability(probability) : 0.0;

    private int FieldIndex(string name)
    {
        for (var k = 0; k < _influencerFields.Count; k++)
        {
            if (_influencerFields[k] == name)
            {
                return k;
            }
        }

        return -1;
    }
}
