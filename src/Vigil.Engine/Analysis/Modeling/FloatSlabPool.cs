using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Fixed-size float blocks addressed by an integer handle, with a free list. Used for the
/// optional per-series state (seasonality test bins, seasonal profiles) so that series that do
/// not need a block pay nothing for it, and no per-series object exists.
/// </summary>
internal sealed class FloatSlabPool
{
    private float[] _data;
    private int[] _free;
    private int _freeCount;
    private int _allocated;

    /// <summary>Creates a pool of blocks of <paramref name="stride"/> floats.</summary>
    public FloatSlabPool(int stride)
    {
        Stride = stride;
        _data = new float[stride * 16];
        _free = new int[16];
    }

    /// <summary>Floats per block.</summary>
    public int Stride { get; }

    /// <summary>Blocks in use.</summary>
    public int InUse => _allocated - _freeCount;

    /// <summary>Bytes held by the pool (capacity, not just blocks in use).</summary>
    public long Bytes => (long)_data.Length * sizeof(float) + (long)_free.Length * sizeof(int);

    /// <summary>Allocates a zeroed block and returns its handle.</summary>
    public int Allocate()
    {
        int handle;
        if (_freeCount > 0)
        {
            handle = _free[--_freeCount];
        }
        else
        {
            handle = _allocated++;
            if ((long)_allocated * Stride > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(_data.Length * 2, _allocated * Stride));
            }
        }

        _data.AsSpan(handle * Stride, Stride).Clear();
        return handle;
    }

    /// <summary>Returns a block to the free list.</summary>
    public void Free(int handle)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = handle;
    }

    /// <summary>The floats of one block.</summary>
    public Span<float> Block(int handle) => _data.AsSpan(handle * Stride, Stride);

    /// <summary>Writes the pool (allocated blocks and free list) little-endian.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(12);
        BinaryPrimitives.WriteInt32LittleEndian(header, Stride);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _allocated);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], _freeCount);
        writer.Advance(12);
        ColumnIo.Write(writer, _data.AsSpan(0, _allocated * Stride));
        ColumnIo.Write(writer, _free.AsSpan(0, _freeCount));
    }

    /// <summary>Reads a pool written by <see cref="Save"/>.</summary>
    public static FloatSlabPool Load(ref ReadOnlySpan<byte> source)
    {
        var stride = BinaryPrimitives.ReadInt32LittleEndian(source);
        var allocated = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        var freeCount = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        source = source[12..];
        var pool = new FloatSlabPool(stride);
        pool._data = new float[Math.Max(stride * 16, allocated * stride)];
        pool._free = new int[Math.Max(16, freeCount)];
        ColumnIo.Read(ref source, pool._data.AsSpan(0, allocated * stride));
        ColumnIo.Read(ref source, pool._free.AsSpan(0, freeCount));
        pool._allocated = allocated;
        pool._freeCount = freeCount;
        return pool;
    }
}

/// <summary>Raw little-endian column reading and writing for model snapshots.</summary>
internal static class ColumnIo
{
    /// <summary>Writes a column of unmanaged values as raw bytes.</summary>
    public static void Write<T>(IBufferWriter<byte> writer, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        while (bytes.Length > 0)
        {
            var dest = writer.GetSpan(Math.Min(bytes.Length, 1 << 16));
            var n = Math.Min(dest.Length, bytes.Length);
            bytes[..n].CopyTo(dest);
            writer.Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>Reads a column written by <see cref="Write{T}"/> into <paramref name="values"/>.</summary>
    public static void Read<T>(ref ReadOnlySpan<byte> source, Span<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        source[..bytes.Length].CopyTo(bytes);
        source = source[bytes.Length..];
    }
}
