using Orleans.Concurrency;

namespace Vigil.Cluster.Jobs;

/// <summary>
/// One grain per anomaly-detection job, keyed by job id: it owns the job while it is open — its state
/// machine, its engine, its uploads (one at a time, in order) and the persistence of counts and state.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Opens the job: restores counts and state and starts accepting data.</summary>
    Task<GrainError?> OpenAsync();

    /// <summary>After a node restart: brings the job back to the state its task document records.</summary>
    Task RecoverAsync();

    /// <summary>A job waiting lazily in <c>opening</c> starts if the node now has room; otherwise nothing happens.</summary>
    Task RetryAssignmentAsync();

    /// <summary>Closes the job, persisting everything first (unless forced while failed).</summary>
    Task<GrainError?> CloseAsync(bool force);

    /// <summary>Starts an upload; waits while another upload to this job is in progress.</summary>
    /// <param name="csv">True for a CSV body, false for JSON.</param>
    /// <param name="resetStartMs"><c>reset_start</c>, epoch ms.</param>
    /// <param name="resetEndMs"><c>reset_end</c>, epoch ms.</param>
    /// <returns>An error, or the id the other upload calls must carry.</returns>
    Task<(GrainError? Error, Guid Upload)> BeginUploadAsync(bool csv, long? resetStartMs, long? resetEndMs);

    /// <summary>Processes the next chunk of an upload.</summary>
    Task<GrainError?> FeedAsync(Guid upload, Immutable<byte[]> chunk, int length);

    /// <summary>Ends an upload (complete, or cut short when <paramref name="aborted"/>), persisting its effects.</summary>
    Task<UploadReply> EndUploadAsync(Guid upload, bool aborted);

    /// <summary>Flushes the job.</summary>
    Task<FlushReply> FlushAsync(FlushParameters parameters);

    /// <summary>The job's runtime status.</summary>
    Task<JobRuntimeStatus> GetStatusAsync();

    /// <summary>
    /// A filter the job's custom rules name was updated: an open job's engine takes the new items from the next
    /// bucket it scores (after any upload in progress). Nothing happens for a job that is not running.
    /// </summary>
    Task UpdateFilterAsync(string filterId, Immutable<string[]> items);

    /// <summary>
    /// A calendar of the job, or its events, changed: an open job's engine loads its scheduled events again and applies
    /// them from the next bucket it scores. An error when the engine refuses them.
    /// </summary>
    Task<GrainError?> UpdateCalendarsAsync();

    /// <summary>
    /// A job update changed the configuration of a job that is not closed (<paramref name="config"/>, the JSON about to
    /// be stored): the grain keeps it (it rewrites the configuration at close), and a running job takes its detectors'
    /// custom rules from the next bucket it scores. An error when the engine cannot apply them.
    /// </summary>
    Task<GrainError?> UpdateConfigAsync(Immutable<byte[]> config);
}
