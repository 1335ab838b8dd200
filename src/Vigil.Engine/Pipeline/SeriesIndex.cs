using System.Buffers;
using System.Buffers.Binary;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Maps a series key — (partition value id, by value id, over value id), each −1 when the
/// detector has no such field — to a dense series id. Keys are compared exactly.
/// </summary>
internal sealed class SeriesIndex
{
    private int[] _table = new int[64];
    private int[] _partition = new int[16];
    private int[] _by = new int[16];
    private int[] _over = new int[16];
    private int _count;

    /// <summary>Number of series.</summary>
    public int Count => _count;

    /// <summary>Bytes held by the index.</summary>
    public long MemoryBytes => (long)_table.Length * 4 + (long)_partition.Length * 12;

    /// <summary>Partition value id of a series (−1 if none).</summary>
    public int Partition(int series) => _partition[series];

    /// <summary>By value id of a series (−1 if none).</summary>
    public int By(int series) => _by[series];

    /// <summary>Over value id of a series (−1 if none).</summary>
    public int Over(int series) => _over[series];

    /// <summary>Finds the series of a key; <paramref name="added"/> tells whether it was new.</summary>
    public int GetOrAdd(int partition, int by, int over, out bool added)
    {
        var hash = Hash(partition, by, over);
        var mask = _table.Length - 1;
        var slot = hash & mask;
        while (true)
        {
            var entry = _table[slot];
            if (entry == 0)
            {
                break;
            }

            var id = entry - 1;
            if (_partition[id] == partition && _by[id] == by && _over[id] == over)
            {
                added = false;
                return id;
            }

            slot = (slot + 1) & mask;
        }

        added = true;
        return Add(partition, by, over);
    }

    /// <summary>Writes the keys in id order.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(4);
        BinaryPrimitives.WriteInt32LittleEndian(header, _count);
        writer.Advance(4);
        ColumnIo.Write<int>(writer, _partition.AsSpan(0, _count));
        ColumnIo.Write<int>(writer, _by.AsSpan(0, _count));
        ColumnIo.Write<int>(writer, _over.AsSpan(0, _count));
    }

    /// <summary>Restores an index written by <see cref="Save"/>; ids are preserved.</summary>
    public static SeriesIndex Load(ref ReadOnlySpan<byte> source)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(source);
        source = source[4..];
        var p = new int[count];
        var b = new int[count];
        var o = new int[count];
        ColumnIo.Read(ref source, p.AsSpan());
        ColumnIo.Read(ref source, b.AsSpan());
        ColumnIo.Read(ref source, o.AsSpan());
        var index = new SeriesIndex();
        for (var i = 0; i < count; i++)
        {
            if (index.GetOrAdd(p[i], b[i], o[i], out _) != i)
            {
                throw new InvalidDataException("duplicate key in series index snapshot");
            }
        }

        return index;
    }

    private static int Hash(int partition, int by, int over) => HashCode.Combine(partition, by, over) & 0x7FFFFFFF;

    private int Add(int partition, int by, int over)
    {
        if (_count == _partition.Length)
        {
            var size = _partition.Length * 2;
            Array.Resize(ref _partition, size);
            Array.Resize(ref _by, size);
            Array.Resize(ref _over, size);
        }

        var id = _count++;
        _partition[id] = partition;
        _by[id] = by;
        _over[id] = over;
        if (_count > _table.Length * 0.7)
        {
            _table = new int[_table.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                Place(i);
            }
        }
        else
        {
            Place(id);
        }

        return id;
    }

    private void Place(int id)
    {
        var mask = _table.Length - 1;
        var slot = Hash(_partition[id], _by[id], _over[id]) & mask;
        while (_table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _table[slot] = id + 1;
    }
}
