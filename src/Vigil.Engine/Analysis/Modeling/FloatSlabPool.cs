using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Analysis.Modeling;

/// <summary>
/// Fixed-size float blocks addressed by an integer handle, with a free list. Used for the
/// optional per-series state (seasonality test bins, seasonal profiles) so that series that do
/// not need a block pay nothing for it, and no per-series object exists.
/// </summary>
/// <remarks>
/// Blocks live in pages of 16 blocks that never move once created, so a span returned by
/// <see cref="Block"/> stays valid while other blocks are allocated, and growth wastes at most one
/// page (no doubling). <see cref="Allocate"/> and <see cref="Free"/> take a lock, so series models
/// of one store may be updated from several threads at once as long as each thread owns its series
/// (see <see cref="SeriesModelStore"/>); <see cref="Save"/> and <see cref="Load"/> are not concurrent.
/// </remarks>
internal sealed class FloatSlabPool
{
    private const int PageBlocks = 16;

    private readonly Lock _gate = new();
    private float[][] _pages = [];
    private int[] _free = new int[16];
    private int _freeCount;
    private int _allocated;

    /// <summary>Creates a pool of blocks of <paramref name="stride"/> floats.</summary>
    public FloatSlabPool(int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        Stride = stride;
    }

    /// <summary>Floats per block.</summary>
    public int Stride { get; }

    /// <summary>Blocks per page (pages are small so a pool of a few series stays small).</summary>
    public static int BlocksPerPage => PageBlocks;

    /// <summary>Blocks ever handed out (in use or on the free list).</summary>
    public int Allocated => _allocated;

    /// <summary>Handles on the free list.</summary>
    public ReadOnlySpan<int> FreeHandles => _free.AsSpan(0, _freeCount);

    /// <summary>Blocks in use.</summary>
    public int InUse => _allocated - _freeCount;

    /// <summary>Bytes held by the pool (pages created, not just blocks in use, and the free list).</summary>
    public long Bytes => ((long)_pages.Length * BlocksPerPage * Stride * sizeof(float)) + ((long)_free.Length * sizeof(int));

    /// <summary>Allocates a zeroed block and returns its handle. Thread-safe.</summary>
    public int Allocate()
    {
        int handle;
        lock (_gate)
        {
            if (_freeCount > 0)
            {
                handle = _free[--_freeCount];
            }
            else
            {
                handle = _allocated++;
                EnsurePages(_allocated);
            }
        }

        Block(handle).Clear();
        return handle;
    }

    /// <summary>Returns a block to the free list. Thread-safe.</summary>
    public void Free(int handle)
    {
        lock (_gate)
        {
            if (_freeCount == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_freeCount++] = handle;
        }
    }

    /// <summary>The floats of one block.</summary>
    public Span<float> Block(int handle)
    {
        var page = Math.DivRem(handle, BlocksPerPage, out var offset);
        return _pages[page].AsSpan(offset * Stride, Stride);
    }

    /// <summary>Writes the pool (allocated blocks and free list) little-endian.</summary>
    public void Save(IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(12);
        BinaryPrimitives.WriteInt32LittleEndian(header, Stride);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], _allocated);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], _freeCount);
        writer.Advance(12);
        for (var p = 0; p * BlocksPerPage < _allocated; p++)
        {
            var blocks = Math.Min(BlocksPerPage, _allocated - (p * BlocksPerPage));
            ColumnIo.Write<float>(writer, _pages[p].AsSpan(0, blocks * Stride));
        }

        ColumnIo.Write<int>(writer, _free.AsSpan(0, _freeCount));
    }

    /// <summary>Reads a pool written by <see cref="Save"/>.</summary>
    public static FloatSlabPool Load(ref ReadOnlySpan<byte> source)
    {
        var stride = BinaryPrimitives.ReadInt32LittleEndian(source);
        var allocated = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        var freeCount = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        source = source[12..];
        var pool = new FloatSlabPool(stride);
        pool.EnsurePages(allocated);
        for (var p = 0; p * BlocksPerPage < allocated; p++)
        {
            var blocks = Math.Min(BlocksPerPage, allocated - (p * BlocksPerPage));
            ColumnIo.Read(ref source, pool._pages[p].AsSpan(0, blocks * stride));
        }

        pool._free = new int[Math.Max(16, freeCount)];
        ColumnIo.Read(ref source, pool._free.AsSpan(0, freeCount));
        pool._allocated = allocated;
        pool._freeCount = freeCount;
        return pool;
    }

    private void EnsurePages(int blocks)
    {
        var needed = (blocks + BlocksPerPage - 1) / BlocksPerPage;
        if (needed <= _pages.Length)
        {
            return;
        }

        // Readers may hold the old page array: it keeps pointing at the same pages, so publishing a
        // longer copy is safe without a lock on the read side.
        var pages = new float[needed][];
        Array.Copy(_pages, pages, _pages.Length);
        for (var p = _pages.Length; p < needed; p++)
        {
            pages[p] = new float[BlocksPerPage * Stride];
        }

        Volatile.Write(ref _pages, pages);
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

    /// <summary>Writes a float column as doubles (columns kept as floats in memory whose snapshot layout has doubles).</summary>
    public static void WriteAsDoubles(IBufferWriter<byte> writer, ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            var dest = writer.GetSpan(sizeof(double));
            BinaryPrimitives.WriteDoubleLittleEndian(dest, v);
            writer.Advance(sizeof(double));
        }
    }

    /// <summary>Reads a column written by <see cref="WriteAsDoubles"/> (or a double column) into floats.</summary>
    public static void ReadDoubles(ref ReadOnlySpan<byte> source, Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(i * sizeof(double))..]);
        }

        source = source[(values.Length * sizeof(double))..];
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
