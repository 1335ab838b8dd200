using System.Buffers.Binary;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>Rewrites current series model snapshots into older layouts, for compatibility tests.</summary>
internal static class SnapshotVersions
{
    private const int HeaderBytes = 24;

    /// <summary>
    /// Bytes per series of the columns in a version 7 snapshot of a store with the default options: the in-memory
    /// columns, with the three CUSUM columns written as doubles (floats in memory).
    /// </summary>
    private static int SnapshotColumnBytes(int bytesPerSeriesColumns) => bytesPerSeriesColumns + (3 * (sizeof(double) - sizeof(float)));

    /// <summary>Version 7 → 6: drops the trend slope column (the last column, before the pools; default options, trend on).</summary>
    public static byte[] ToVersion6(byte[] v7, int series, int bytesPerSeriesColumns)
    {
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(v7.AsSpan(4)));
        var poolsAt = HeaderBytes + (series * SnapshotColumnBytes(bytesPerSeriesColumns));
        var slopeAt = poolsAt - (series * sizeof(float));
        var v6 = new byte[v7.Length - (poolsAt - slopeAt)];
        v7.AsSpan(0, slopeAt).CopyTo(v6);
        v7.AsSpan(poolsAt).CopyTo(v6.AsSpan(slopeAt));
        BinaryPrimitives.WriteInt32LittleEndian(v6.AsSpan(4), 6);
        return v6;
    }

    /// <summary>Version 7 (converted to 6 first) or 6 → 5: drops the time shift (the last 8 bytes, after the pools).</summary>
    public static byte[] ToVersion5(byte[] v6, int series, int bytesPerSeriesColumns)
    {
        if (BinaryPrimitives.ReadInt32LittleEndian(v6.AsSpan(4)) == 7)
        {
            v6 = ToVersion6(v6, series, bytesPerSeriesColumns);
        }

        Assert.Equal(6, BinaryPrimitives.ReadInt32LittleEndian(v6.AsSpan(4)));
        var v5 = v6.AsSpan(0, v6.Length - sizeof(long)).ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(v5.AsSpan(4), 5);
        return v5;
    }

    /// <summary>
    /// Version 5 (or 6 or 7, converted to 5 first) → 4: drops the value-history columns (the last four: slot end, slot sum, slot count, handle; 24 bytes
    /// per series) and the two pools after the weekly profiles (value histories, other-period profiles).
    /// </summary>
    public static byte[] ToVersion4(byte[] v5, int series, int bytesPerSeriesColumns)
    {
        if (BinaryPrimitives.ReadInt32LittleEndian(v5.AsSpan(4)) >= 6)
        {
            v5 = ToVersion5(v5, series, bytesPerSeriesColumns);
        }

        Assert.Equal(5, BinaryPrimitives.ReadInt32LittleEndian(v5.AsSpan(4)));
        const int HistoryColumnBytes = sizeof(long) + sizeof(double) + sizeof(int) + sizeof(int);
        var v5ColumnBytes = SnapshotColumnBytes(bytesPerSeriesColumns) - sizeof(float);
        var historyColumnAt = HeaderBytes + (series * (v5ColumnBytes - HistoryColumnBytes));
        var poolsAt = historyColumnAt + (series * HistoryColumnBytes);
        var end = poolsAt;
        for (var pool = 0; pool < 3; pool++)
        {
            end += PoolBytes(v5, end);
        }

        var keptPools = end - poolsAt;
        var v4 = new byte[historyColumnAt + keptPools];
        v5.AsSpan(0, historyColumnAt).CopyTo(v4);
        v5.AsSpan(poolsAt, keptPools).CopyTo(v4.AsSpan(historyColumnAt));
        BinaryPrimitives.WriteInt32LittleEndian(v4.AsSpan(4), 4);
        return v4;
    }

    /// <summary>Bytes of the pool written at <paramref name="at"/>: header, blocks, free list.</summary>
    private static int PoolBytes(byte[] snapshot, int at)
    {
        var stride = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at));
        var allocated = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 4));
        var free = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 8));
        return 12 + (allocated * stride * sizeof(float)) + (free * sizeof(int));
    }
}
