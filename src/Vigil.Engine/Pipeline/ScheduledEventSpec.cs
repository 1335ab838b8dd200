namespace Vigil.Engine.Pipeline;

/// <summary>A scheduled event as the pipeline applies it (from a calendar the job belongs to).</summary>
/// <param name="Description">Listed in the <c>scheduled_events</c> of the buckets the event covers.</param>
/// <param name="StartMs">Start, epoch ms.</param>
/// <param name="EndMs">End (exclusive), epoch ms.</param>
/// <param name="SkipResult">Covered buckets produce no records (ES default true).</param>
/// <param name="SkipModelUpdate">Models do not learn from covered buckets (ES default true).</param>
/// <param name="ForceTimeShift">Seconds the models' time is shifted by at the first covered bucket, or null.</param>
/// <remarks>
/// Implementation note (mirrors ES <c>ScheduledEvent.toDetectionRule</c> and ml-cpp <c>CAnomalyJob</c>): the event covers
/// the buckets whose start is in [start rounded down to the bucket span, end rounded up to it); an event with
/// <c>force_time_shift</c> becomes a rule with that action and <c>params.force_time_shift.time_shift_amount</c>.
/// </remarks>
public sealed record ScheduledEventSpec(string Description, long StartMs, long EndMs, bool SkipResult = true, bool SkipModelUpdate = true,
    int? ForceTimeShift = null)
{
    /// <summary>The covered bucket starts, epoch seconds: [start, end).</summary>
    public (long StartSeconds, long EndSeconds) BucketWindow(long bucketSpanSeconds)
    {
        var start = FloorDiv(FloorDiv(StartMs, 1000), bucketSpanSeconds) * bucketSpanSeconds;
        var endSeconds = FloorDiv(EndMs, 1000);
        var end = FloorDiv(endSeconds, bucketSpanSeconds) * bucketSpanSeconds;
        return (start, end < endSeconds ? end + bucketSpanSeconds : end);
    }

    /// <summary>The detection rule the event acts as on every detector.</summary>
    public DetectorRuleSpec ToRule(long bucketSpanSeconds)
    {
        var (start, end) = BucketWindow(bucketSpanSeconds);
        return new DetectorRuleSpec(SkipResult, SkipModelUpdate, [],
            [new RuleConditionSpec(RuleTarget.Time, RuleOperator.Gte, start), new RuleConditionSpec(RuleTarget.Time, RuleOperator.Lt, end)],
            ForceTimeShift);
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
}
