namespace Vigil.Cluster.Jobs;

/// <summary>States of an anomaly-detection job, as Elasticsearch names them.</summary>
[GenerateSerializer]
public enum JobState
{
    /// <summary>No task: the job is not running.</summary>
    Closed,

    /// <summary>The task exists; the job is being started (or waits for a node when opened lazily).</summary>
    Opening,

    /// <summary>The job runs and accepts data.</summary>
    Opened,

    /// <summary>The job is persisting its state before it stops.</summary>
    Closing,

    /// <summary>The job stopped on an error; it needs a force close (or, after bad input, corrected data).</summary>
    Failed,
}

/// <summary>An Elasticsearch error carried across a grain call (exceptions are not shipped between grains).</summary>
[GenerateSerializer, Immutable]
public sealed record GrainError(
    [property: Id(0)] string Type,
    [property: Id(1)] string Reason,
    [property: Id(2)] int Status,
    [property: Id(3)] GrainError? Cause = null);

/// <summary>The runtime status of a job: what job stats report besides configuration.</summary>
[GenerateSerializer, Immutable]
public sealed record JobRuntimeStatus
{
    /// <summary>Job state.</summary>
    [Id(0)] public required JobState State { get; init; }

    /// <summary>Node the job's task is assigned to, null when closed.</summary>
    [Id(1)] public string? NodeId { get; init; }

    /// <summary>When the job's process started (epoch ms), while it runs.</summary>
    [Id(2)] public long? OpenTimeMs { get; init; }

    /// <summary>Why the job is not assigned or why it failed ("" when assigned normally); null when closed.</summary>
    [Id(3)] public string? AssignmentExplanation { get; init; }

    /// <summary><c>data_counts</c> JSON (without job_id).</summary>
    [Id(4)] public byte[]? DataCounts { get; init; }

    /// <summary><c>timing_stats</c> JSON.</summary>
    [Id(5)] public byte[]? TimingStats { get; init; }

    /// <summary><c>model_size_stats</c> JSON.</summary>
    [Id(6)] public byte[]? ModelSizeStats { get; init; }
}

/// <summary>The answer to an upload step: an error, or the upload's data counts JSON when it ended.</summary>
[GenerateSerializer, Immutable]
public sealed record UploadReply([property: Id(0)] GrainError? Error, [property: Id(1)] byte[]? DataCounts);

/// <summary>The answer to a flush.</summary>
[GenerateSerializer, Immutable]
public sealed record FlushReply([property: Id(0)] GrainError? Error, [property: Id(1)] long? LastFinalizedBucketEndMs);

/// <summary>Flush parameters, epoch milliseconds.</summary>
[GenerateSerializer, Immutable]
public sealed record FlushParameters(
    [property: Id(0)] bool CalcInterim,
    [property: Id(1)] long? StartMs,
    [property: Id(2)] long? EndMs,
    [property: Id(3)] long? AdvanceTimeMs,
    [property: Id(4)] long? SkipTimeMs);
