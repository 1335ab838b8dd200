using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>A scored series-bucket whose probability is low enough to become a record.</summary>
/// <param name="Detector">Position of the detector in the pipeline.</param>
/// <param name="Feature">Feature index within the detector (0 unless the function is <c>metric</c>).</param>
/// <param name="Series">Series id within the detector.</param>
/// <param name="Result">The model's result.</param>
/// <param name="Raw">Raw score.</param>
/// <param name="Scope">Normalizer scope (partition, person).</param>
internal readonly record struct LeafResult(int Detector, int Feature, int Series, SeriesResult Result, double Raw, int Scope);

/// <summary>A growable buffer of <see cref="LeafResult"/>, reused across buckets.</summary>
internal sealed class LeafBuffer
{
    /// <summary>The items.</summary>
    public LeafResult[] Items = new LeafResult[64];

    /// <summary>Number of items.</summary>
    public int Count;

    /// <summary>Appends an item.</summary>
    public void Add(in LeafResult leaf)
    {
        if (Count == Items.Length)
        {
            Array.Resize(ref Items, Count * 2);
        }

        Items[Count++] = leaf;
    }
}
