using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Storage;

namespace Vigil.Cluster.Jobs;

/// <summary>
/// At node start, reopens the jobs whose task survived the last stop (Elasticsearch reassigns persistent
/// job tasks after a restart), so an open job stays open across restarts.
/// </summary>
internal sealed class JobTaskRecovery(IJobDocumentStore documents, IGrainFactory grains, ILogger<JobTaskRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var tasks = await documents.ListByKindAsync(JobDocumentKinds.Task, cancellationToken).ConfigureAwait(false);
        foreach (var task in tasks)
        {
            try
            {
                await grains.GetGrain<IJobGrain>(task.Id).RecoverAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Job {JobId} could not be recovered", task.Id);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
