namespace Vigil.Cluster.Nodes;

/// <summary>What a node reports about itself (node stats, memory stats, job stats' <c>node</c> object).</summary>
[GenerateSerializer, Immutable]
public sealed record NodeInfo
{
    /// <summary>Persistent node id.</summary>
    [Id(0)] public required string Id { get; init; }

    /// <summary>Node name.</summary>
    [Id(1)] public required string Name { get; init; }

    /// <summary>Id that changes every start.</summary>
    [Id(2)] public required string EphemeralId { get; init; }

    /// <summary>host:port of the node's cluster (silo) endpoint.</summary>
    [Id(3)] public required string TransportAddress { get; init; }

    /// <summary>Physical memory of the machine (or the container limit), bytes.</summary>
    [Id(4)] public required long TotalMemoryBytes { get; init; }

    /// <summary>Largest managed heap the runtime allows, bytes (stands in for Elasticsearch's JVM heap).</summary>
    [Id(5)] public required long HeapMaxBytes { get; init; }

    /// <summary>Memory the node sets aside for anomaly-detection models: <c>xpack.ml.max_machine_memory_percent</c>
    /// (default 30%) of machine memory.</summary>
    [Id(6)] public required long MlMaxBytes { get; init; }

    /// <summary>Processors available to the process.</summary>
    [Id(7)] public required int AllocatedProcessors { get; init; }

    /// <summary>Roles of the node.</summary>
    [Id(8)] public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>Node attributes (the <c>ml.*</c> ones as Elasticsearch publishes them).</summary>
    [Id(9)] public required IReadOnlyDictionary<string, string> Attributes { get; init; }
}
