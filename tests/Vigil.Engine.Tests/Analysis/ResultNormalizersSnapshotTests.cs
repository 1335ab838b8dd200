using Vigil.Engine.Analysis.Scoring;

namespace Vigil.Engine.Tests.Analysis;

public sealed class ResultNormalizersSnapshotTests
{
    [Fact]
    public void Snapshot_scores_like_the_job_did_when_taken_and_ignores_later_learning()
    {
        var bucket = new ScoreNormalizer(3600);
        var record = new ScoreNormalizer(3600);
        var random = new Random(6);
        for (long b = 0; b < 300; b++)
        {
            var raw = random.NextDouble() < 0.9 ? 0.0 : RawScore.FromProbability(random.NextDouble() * 0.03);
            bucket.Update(0, raw, b);
            record.Update(1, raw, b);
        }

        var live = new ResultNormalizers(bucket, [], [], [], [[record]]);
        var p = RawScore.ToProbability(2.0);
        Assert.True(live.TryRecordScore(0, 0, 1, p, 1, out var before));
        var snapshot = live.Snapshot();

        // The job goes on: a far larger score arrives in the same scope.
        record.Update(1, 40.0, 300);
        Assert.True(live.TryRecordScore(0, 0, 1, p, 1, out var liveAfter));
        Assert.True(snapshot.TryRecordScore(0, 0, 1, p, 1, out var snapshotAfter));
        Assert.True(liveAfter < before);
        Assert.Equal(before, snapshotAfter);
    }
}
