using System.Collections.Concurrent;

namespace Vigil.Cluster.Jobs;

/// <summary>
/// The jobs that are open (opening, opened, closing or failed) on this node and the native memory each
/// is charged for, as node memory statistics count it.
/// </summary>
public sealed class LocalJobRegistry
{
    /// <summary>Per-job process overhead Elasticsearch adds to each job's model memory (10 MB).</summary>
    public const long JobOverheadBytes = 10L * 1024 * 1024;

    /// <summary>Native code overhead charged once any job runs on the node (30 MB).</summary>
    public const long NativeCodeOverheadBytes = 30L * 1024 * 1024;

    private readonly ConcurrentDictionary<string, long> _memory = new(StringComparer.Ordinal);

    /// <summary>Records (or updates) a job's memory requirement, without the per-job overhead.</summary>
    public void Set(string jobId, long modelMemoryBytes) => _memory[jobId] = modelMemoryBytes;

    /// <summary>Forgets a job that closed.</summary>
    public void Remove(string jobId) => _memory.TryRemove(jobId, out _);

    /// <summary>Ids of the jobs open here.</summary>
    public ICollection<string> JobIds => _memory.Keys;

    /// <summary>The memory statistics of this node.</summary>
    public Nodes.MlMemoryUsage Usage()
    {
        long total = 0;
        var count = 0;
        foreach (var (_, bytes) in _memory)
        {
            total += bytes + JobOverheadBytes;
            count++;
        }

        return new Nodes.MlMemoryUsage(total, count > 0 ? NativeCodeOverheadBytes : 0);
    }
}
