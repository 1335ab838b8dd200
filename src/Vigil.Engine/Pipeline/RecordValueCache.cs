using Vigil.Engine.Input;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Interned value ids of the current record's split and influencer fields, interned at most once
/// per record however many detectors and influencers read them.
/// </summary>
internal sealed class RecordValueCache
{
    private readonly ValueInterner?[] _interners;
    private readonly int[] _ids;
    private readonly long[] _stamp;
    private long _record;

    /// <summary>Creates a cache over the pipeline's interners (indexed by analysis field).</summary>
    public RecordValueCache(ValueInterner?[] interners)
    {
        _interners = interners;
        _ids = new int[interners.Length];
        _stamp = new long[interners.Length];
    }

    /// <summary>Starts a new record.</summary>
    public void Next() => _record++;

    /// <summary>Sets the interned id of field <paramref name="index"/> for the current record (a value the pipeline derives,
    /// such as <c>mlcategory</c>); −1 for missing.</summary>
    public void Set(int index, int id)
    {
        _stamp[index] = _record;
        _ids[index] = id;
    }

    /// <summary>The interned id of field <paramref name="index"/> of the current record, or −1 when it is missing.</summary>
    public int Get(int index, scoped in RecordFields fields)
    {
        if (_stamp[index] == _record)
        {
            return _ids[index];
        }

        var id = fields.IsMissing(index) ? -1 : _interners[index]!.GetOrAdd(fields.Utf8(index));
        _stamp[index] = _record;
        _ids[index] = id;
        return id;
    }
}
