using Vigil.Engine.Errors;

namespace Vigil.Engine.Configuration;

/// <summary>Job id syntax and uniqueness rules (ES <c>MlStrings</c>, <c>JobManager.putJob</c>).</summary>
public static class JobIdRules
{
    /// <summary>Maximum id length (64).</summary>
    public const int MaxLength = 64;

    /// <summary>Whether <paramref name="id"/> matches <c>[a-z0-9](?:[a-z0-9_\-.]*[a-z0-9])?</c>.</summary>
    public static bool IsValidId(string? id) => JobBuilder.IsValidId(id);

    /// <summary>Throws ES's 400 <c>illegal_argument_exception</c> for an invalid or too long job id.</summary>
    public static void ValidateJobId(string id)
    {
        if (!JobBuilder.IsValidId(id))
        {
            throw ElasticsearchException.IllegalArgument(Messages.InvalidId("job_id", id ?? "null"));
        }

        if (id.Length > MaxLength)
        {
            throw ElasticsearchException.IllegalArgument(Messages.JobIdTooLong);
        }
    }

    /// <summary>
    /// Checks a new job against the existing ones: the id must be unused, must not be a group name, and none of
    /// its groups may be an existing job id (400 <c>resource_already_exists_exception</c>).
    /// </summary>
    public static void CheckCreateConflicts(JobConfig job, IReadOnlyCollection<JobConfig> existing)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(existing);
        foreach (var other in existing)
        {
            if (other.JobId == job.JobId)
            {
                throw ElasticsearchException.ResourceAlreadyExists(
                    $"The job cannot be created with the Id '{job.JobId}'. The Id is already used.");
            }
        }

        foreach (var other in existing)
        {
            foreach (var group in other.Groups)
            {
                if (group == job.JobId)
                {
                    throw ElasticsearchException.ResourceAlreadyExists(Messages.JobAndGroupNamesMustBeUnique(job.JobId));
                }
            }
        }

        foreach (var group in job.Groups)
        {
            foreach (var other in existing)
            {
                if (other.JobId == group)
                {
                    throw ElasticsearchException.ResourceAlreadyExists(Messages.JobAndGroupNamesMustBeUnique(group));
                }
            }
        }
    }
}
