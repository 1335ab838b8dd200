using Vigil.Cluster.Jobs;
using Vigil.Cluster.Nodes;

namespace Vigil.Cluster;

/// <summary>What the HTTP layer asks of the cluster, without knowing Orleans. Errors surface as
/// <see cref="Vigil.Engine.Errors.ElasticsearchException"/>.</summary>
public interface IClusterFacade
{
    /// <summary>The local node's facts, reported by its node grain.</summary>
    Task<NodeInfo> GetLocalNodeAsync();

    /// <summary>ML native memory set aside on the local node.</summary>
    Task<MlMemoryUsage> GetMlMemoryUsageAsync();

    /// <summary>Opens a job; false when it was opened lazily and waits, unassigned, for room on a node.</summary>
    Task<bool> OpenJobAsync(string jobId);

    /// <summary>Closes a job (no-op when closed).</summary>
    Task CloseJobAsync(string jobId, bool force);

    /// <summary>The job's state and runtime statistics; for a job without a task, from the store.</summary>
    Task<JobRuntimeStatus> GetJobStatusAsync(string jobId);

    /// <summary>Posts one body to a job, chunk by chunk, and returns that upload's data counts JSON.</summary>
    Task<byte[]> PostDataAsync(string jobId, bool csv, long? resetStartMs, long? resetEndMs, Func<Memory<byte>, ValueTask<int>> read);

    /// <summary>Flushes a job.</summary>
    Task<long?> FlushJobAsync(string jobId, FlushParameters parameters);

    /// <summary>Gives an open job the new items of a filter its custom rules name (no-op for a job that is not open).</summary>
    Task UpdateJobFilterAsync(string jobId, string filterId, IReadOnlyList<string> items);

    /// <summary>Gives a job that is not closed its updated configuration; a running job applies the new custom rules.</summary>
    Task UpdateJobConfigAsync(string jobId, byte[] config);

    /// <summary>A calendar naming the job (or its events) changed: an open job reloads its scheduled events; nothing happens for a closed job.</summary>
    Task UpdateJobCalendarsAsync(string jobId);
}
