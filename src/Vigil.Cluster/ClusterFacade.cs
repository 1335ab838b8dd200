using System.Buffers;
using Orleans.Concurrency;
using Vigil.Cluster.Hosting;
using Vigil.Cluster.Jobs;
using Vigil.Cluster.Nodes;
using Vigil.Engine.Errors;
using Vigil.Storage;

namespace Vigil.Cluster;

/// <summary>The Orleans-backed <see cref="IClusterFacade"/>.</summary>
internal sealed class ClusterFacade(IGrainFactory grains, VigilNodeOptions options, LocalJobRegistry registry, IJobDocumentStore documents)
    : IClusterFacade
{
    /// <summary>Size of the chunks a body is cut into on its way to the job grain.</summary>
    internal const int ChunkSize = 256 * 1024;

    public Task<NodeInfo> GetLocalNodeAsync() => grains.GetGrain<INodeGrain>(options.NodeId).GetInfoAsync();

    public Task<MlMemoryUsage> GetMlMemoryUsageAsync() => Task.FromResult(registry.Usage());

    public async Task<bool> OpenJobAsync(string jobId)
    {
        var job = Job(jobId);
        Throw(await job.OpenAsync().ConfigureAwait(false));
        return (await job.GetStatusAsync().ConfigureAwait(false)).NodeId is not null;
    }

    public async Task CloseJobAsync(string jobId, bool force)
    {
        Throw(await Job(jobId).CloseAsync(force).ConfigureAwait(false));

        // Memory was freed: jobs opened lazily may fit now.
        foreach (var task in await documents.ListByKindAsync(JobDocumentKinds.Task).ConfigureAwait(false))
        {
            if (task.Id != jobId && System.Text.Encoding.UTF8.GetString(task.Content).Contains("\"state\":\"opening\"", StringComparison.Ordinal))
            {
                await Job(task.Id).RetryAssignmentAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task<JobRuntimeStatus> GetJobStatusAsync(string jobId)
    {
        if (await documents.GetAsync(jobId, JobDocumentKinds.Task).ConfigureAwait(false) is not null)
        {
            var status = await Job(jobId).GetStatusAsync().ConfigureAwait(false);
            if (status.State != JobState.Closed)
            {
                return status with
                {
                    DataCounts = status.DataCounts ?? await documents.GetAsync(jobId, JobDocumentKinds.DataCounts).ConfigureAwait(false),
                    TimingStats = status.TimingStats ?? await documents.GetAsync(jobId, JobDocumentKinds.TimingStats).ConfigureAwait(false),
                    ModelSizeStats = status.ModelSizeStats ?? await documents.GetAsync(jobId, JobDocumentKinds.ModelSizeStats).ConfigureAwait(false),
                };
            }
        }

        return new JobRuntimeStatus
        {
            State = JobState.Closed,
            DataCounts = await documents.GetAsync(jobId, JobDocumentKinds.DataCounts).ConfigureAwait(false),
            TimingStats = await documents.GetAsync(jobId, JobDocumentKinds.TimingStats).ConfigureAwait(false),
            ModelSizeStats = await documents.GetAsync(jobId, JobDocumentKinds.ModelSizeStats).ConfigureAwait(false),
        };
    }

    public async Task<byte[]> PostDataAsync(string jobId, bool csv, long? resetStartMs, long? resetEndMs, Func<Memory<byte>, ValueTask<int>> read)
    {
        var job = Job(jobId);
        var (error, upload) = await job.BeginUploadAsync(csv, resetStartMs, resetEndMs).ConfigureAwait(false);
        Throw(error);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var ended = false;
        try
        {
            while (true)
            {
                var filled = 0;
                while (filled < ChunkSize)
                {
                    var n = await read(buffer.AsMemory(filled, ChunkSize - filled)).ConfigureAwait(false);
                    if (n == 0)
                    {
                        break;
                    }

                    filled += n;
                }

                if (filled > 0)
                {
                    if (await job.FeedAsync(upload, new Immutable<byte[]>(buffer), filled).ConfigureAwait(false) is { } feedError)
                    {
                        ended = true;
                        await job.EndUploadAsync(upload, aborted: true).ConfigureAwait(false);
                        Throw(feedError);
                    }
                }

                if (filled < ChunkSize)
                {
                    break;
                }
            }

            ended = true;
            var reply = await job.EndUploadAsync(upload, aborted: false).ConfigureAwait(false);
            Throw(reply.Error);
            return reply.DataCounts!;
        }
        finally
        {
            if (!ended)
            {
                // The body failed to arrive (client gone, bad gzip, ...): keep what was read, free the job.
                await job.EndUploadAsync(upload, aborted: true).ConfigureAwait(false);
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<long?> FlushJobAsync(string jobId, FlushParameters parameters)
    {
        var reply = await Job(jobId).FlushAsync(parameters).ConfigureAwait(false);
        Throw(reply.Error);
        return reply.LastFinalizedBucketEndMs;
    }

    public async Task UpdateJobFilterAsync(string jobId, string filterId, IReadOnlyList<string> items)
    {
        // Only a job with a task can be running; activating the grain of a closed job would do nothing.
        if (await documents.GetAsync(jobId, JobDocumentKinds.Task).ConfigureAwait(false) is not null)
        {
            await Job(jobId).UpdateFilterAsync(filterId, new Immutable<string[]>([.. items])).ConfigureAwait(false);
        }
    }

    public async Task UpdateJobConfigAsync(string jobId, byte[] config)
    {
        if (await documents.GetAsync(jobId, JobDocumentKinds.Task).ConfigureAwait(false) is not null)
        {
            Throw(await Job(jobId).UpdateConfigAsync(new Immutable<byte[]>(config)).ConfigureAwait(false));
        }
    }

    public async Task UpdateJobCalendarsAsync(string jobId)
    {
        if (await documents.GetAsync(jobId, JobDocumentKinds.Task).ConfigureAwait(false) is not null)
        {
            Throw(await Job(jobId).UpdateCalendarsAsync().ConfigureAwait(false));
        }
    }

    private IJobGrain Job(string jobId) => grains.GetGrain<IJobGrain>(jobId);

    private static void Throw(GrainError? error)
    {
        if (error is not null)
        {
            throw ToException(error);
        }
    }

    private static ElasticsearchException ToException(GrainError error) =>
        new(error.Type, error.Reason, error.Status, error.Cause is null ? null : ToException(error.Cause));
}
