using Vigil.Cluster.Hosting;
using Vigil.Cluster.Jobs;
using Vigil.Cluster.Nodes;

namespace Vigil.Cluster.Tests;

public sealed class LocalJobRegistryTests
{
    [Fact]
    public void Usage_is_zero_without_jobs()
    {
        var usage = new LocalJobRegistry().Usage();

        Assert.Equal(0, usage.AnomalyDetectorsBytes);
        Assert.Equal(0, usage.NativeCodeOverheadBytes);
    }

    [Fact]
    public void Usage_charges_each_open_job_its_limit_plus_overhead_and_native_code_once()
    {
        var registry = new LocalJobRegistry();
        registry.Set("a", 20L * 1024 * 1024);
        registry.Set("b", 1024L * 1024 * 1024);
        registry.Set("a", 30L * 1024 * 1024); // updated, not added twice

        var usage = registry.Usage();

        Assert.Equal((30L + 10 + 1024 + 10) * 1024 * 1024, usage.AnomalyDetectorsBytes);
        Assert.Equal(30L * 1024 * 1024, usage.NativeCodeOverheadBytes);

        registry.Remove("a");
        registry.Remove("b");
        Assert.Equal(0, registry.Usage().AnomalyDetectorsBytes);
        Assert.Equal(0, registry.Usage().NativeCodeOverheadBytes);
    }
}

public sealed class NodeFactsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vigil-node-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Node_and_cluster_ids_persist_in_the_data_directory()
    {
        var first = new VigilNodeOptions { DataDirectory = _dir };
        first.EnsureNodeId();
        var second = new VigilNodeOptions { DataDirectory = _dir };
        second.EnsureNodeId();

        Assert.Equal(22, first.NodeId.Length);
        Assert.Equal(first.NodeId, second.NodeId);
        Assert.Equal(first.ClusterUuid, second.ClusterUuid);
        Assert.NotEqual(first.EphemeralId, second.EphemeralId);
    }

    [Fact]
    public void Facts_report_memory_and_ml_attributes()
    {
        var options = new VigilNodeOptions { DataDirectory = _dir, NodeName = "n1", SiloPort = 12345 };
        options.EnsureNodeId();

        var facts = NodeFacts.Read(options);

        Assert.Equal("n1", facts.Name);
        Assert.Equal("127.0.0.1:12345", facts.TransportAddress);
        Assert.True(facts.TotalMemoryBytes > 0);
        Assert.Equal(facts.TotalMemoryBytes * 30 / 100, facts.MlMaxBytes);
        Assert.Contains("ml", facts.Roles);
        Assert.Equal(facts.TotalMemoryBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), facts.Attributes["ml.machine_memory"]);
    }
}
