namespace Vigil.Cluster.Nodes;

/// <summary>Native memory a node sets aside for ML work, as <c>_ml/memory/_stats</c> reports it.</summary>
/// <param name="AnomalyDetectorsBytes">Sum over the jobs open on the node of their model memory
/// requirement plus the per-job process overhead.</param>
/// <param name="NativeCodeOverheadBytes">30 MB once any job is open on the node, else 0.</param>
[GenerateSerializer, Immutable]
public sealed record MlMemoryUsage([property: Id(0)] long AnomalyDetectorsBytes, [property: Id(1)] long NativeCodeOverheadBytes);
