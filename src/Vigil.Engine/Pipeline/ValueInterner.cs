using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Interns UTF-8 field values to dense <c>int</c> ids: open addressing over a hash, the bytes of
/// every value in one arena, and the bytes always compared, so a hash collision never merges two
/// values. No object per value; the string form is created only when a result needs it.
/// </summary>
internal sealed class ValueInterner
{
    private const double MaxLoad = 0.7;

    private int[] _table = new int[64];
    private int[] _hashes = new int[16];
    private int[] _offsets = new int[16];
    private int[] _lengths = new int[16];
    private byte[] _arena = new byte[256];
    private string?[] _strings = new string?[16];
    private int _arenaUsed;
    private int _count;

    /// <summary>Number of distinct values.</summary>
    public int Count => _count;

    /// <summary>Bytes held by the interner's arrays.</summary>
    public long MemoryBytes =>
        (long)_table.Length * 4 + (long)_hashes.Length * 12 + _arena.Length + (long)_strings.Length * 8;

    /// <summary>Returns the id of <paramref name="value"/>, adding it if new.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> value)
    {
        var hash = Hash(value);
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
            if (_hashes[id] == hash && _arena.AsSpan(_offsets[id], _lengths[id]).SequenceEqual(value))
            {
                return id;
            }

            slot = (slot + 1) & mask;
        }

        return Add(value, hash);
    }

    /// <summary>The UTF-8 bytes of a value.</summary>
    public ReadOnlySpan<byte> Bytes(int id) => _arena.AsSpan(_offsets[id], _lengths[id]);

    /// <summary>The value as a string (created once, then cached).</summary>
    public string GetString(int id) => _strings[id] ??= Encoding.UTF8.GetString(Bytes(id));

    /// <summary>Writes every value in id order.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(8);
        BinaryPrimitives.WriteInt32LittleEndian(header, _count);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _arenaUsed);
        writer.Advance(8);
        ColumnIo.Write<int>(writer, _lengths.AsSpan(0, _count));
        ColumnIo.Write<byte>(writer, _arena.AsSpan(0, _arenaUsed));
    }

    /// <summary>Restores an interner written by <see cref="Save"/>; ids are preserved.</summary>
    public static ValueInterner Load(ref ReadOnlySpan<byte> source)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(source);
        var arenaUsed = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        source = source[8..];
        var lengths = new int[count];
        ColumnIo.Read(ref source, lengths.AsSpan());
        var arena = source[..arenaUsed];
        source = source[arenaUsed..];
        var interner = new ValueInterner();
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            var id = interner.GetOrAdd(arena.Slice(offset, lengths[i]));
            if (id != i)
            {
                throw new InvalidDataException("duplicate value in interner snapshot");
            }

            offset += lengths[i];
        }

        return interner;
    }

    /// <summary>Hash of a value's bytes (process-local; tables are rebuilt on load).</summary>
    public static int Hash(ReadOnlySpan<byte> value)
    {
        var h = default(HashCode);
        h.AddBytes(value);
        return h.ToHashCode() & 0x7FFFFFFF;
    }

    private int Add(ReadOnlySpan<byte> value, int hash)
    {
        if (_count == _hashes.Length)
        {
            var size = _hashes.Length * 2;
            Array.Resize(ref _hashes, size);
            Array.Resize(ref _offsets, size);
            Array.Resize(ref _lengths, size);
            Array.Resize(ref _strings, size);
        }

        if (_arenaUsed + value.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + value.Length));
        }

        var id = _count++;
        value.CopyTo(_arena.AsSpan(_arenaUsed));
        _hashes[id] = hash;
        _offsets[id] = _arenaUsed;
        _lengths[id] = value.Length;
        _arenaUsed += value.Length;
        if (_count > _table.Length * MaxLoad)
        {
            Rehash(_table.Length * 2);
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
        var slot = _hashes[id] & mask;
        while (_table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _table[slot] = id + 1;
    }

    private void Rehash(int size)
    {
        _table = new int[size];
        for (var i = 0; i < _count; i++)
        {
            Place(i);
        }
    }
}
