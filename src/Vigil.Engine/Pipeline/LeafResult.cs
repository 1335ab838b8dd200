using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>A scored series-bucket whose probability is low enough to become a record.</summary>
/// <param name="Detector">Position of the detector in the pipeline.</param>
/// <param name="Feature">Feature index within the detector (0 unless the function is <c>metric</c>).</param>
/// <param name="Series">Series id within the detector.</param>
/// <param name="Result">The model's result.</param>
/// <param name="Raw">Raw score.</param>
/// <param name="Scope">Normalizer scope (partition, person).</param>
/// <param name="CauseStart">Population records: first cause in <see cref="LeafBuffer.Causes"/>; −1 otherwise.</param>
/// <param name="CauseCount">Population records: number of causes.</param>
internal readonly record struct LeafResult(
    int Detector, int Feature, int Series, SeriesResult Result, double Raw, int Scope, int CauseStart = -1, int CauseCount = 0);

/// <summary>One attribute result behind a population record.</summary>
/// <param name="Series">Series (person × attribute) id.</param>
/// <param name="Feature">Feature index.</param>
/// <param name="Result">The attribute model's result for the person's value.</param>
internal readonly record struct CauseEntry(int Series, int Feature, SeriesResult Result);

/// <summary>A growable buffer of <see cref="LeafResult"/>, reused across buckets.</summary>
internal sealed class LeafBuffer
{
    /// <summary>The items.</summary>
    public LeafResult[] Items = new LeafResult[64];

    /// <summary>Number of items.</summary>
    public int Count;

    /// <summary>Causes of population records.</summary>
    public CauseEntry[] Causes = new CauseEntry[64];

    /// <summary>Number of causes.</summary>
    public int CauseCount;

    /// <summary>Empties the buffer (keeps capacity).</summary>
    public void Clear()
    {
        Count = 0;
        CauseCount = 0;
    }

    /// <summary>Appends a cause.</summary>
    public void AddCause(in CauseEntry cause)
    {
        if (CauseCount == Causes.Length)
        {
            Array.Resize(ref Causes, CauseCount * 2);
        }

        Causes[CauseCount++] = cause;
    }

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
