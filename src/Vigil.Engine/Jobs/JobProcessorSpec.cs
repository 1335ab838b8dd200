using Vigil.Engine.Input;

namespace Vigil.Engine.Jobs;

/// <summary>What a <see cref="JobProcessor"/> needs to know of its job.</summary>
/// <param name="JobId">The job id.</param>
/// <param name="Schema">Time field and format, analysis fields, bucket span and latency.</param>
/// <param name="RequiredFieldCount">Distinct required input fields including the time field (data counts rules).</param>
public sealed record JobProcessorSpec(string JobId, IngestSchema Schema, int RequiredFieldCount);

/// <summary>Builds processor specs from job configurations.</summary>
public static class JobProcessorSpecs
{
    /// <summary>The processor spec of a job.</summary>
    public static JobProcessorSpec From(Configuration.JobConfig job) =>
        new(job.JobId, job.ToIngestSchema(), job.RequiredInputFields.Count);
}
