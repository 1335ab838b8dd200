using System.Buffers.Binary;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>Rewrites current series model snapshots into older layouts, for compatibility tests.</summary>
internal static class SnapshotVersions
{
    private const int HeaderBytes = 24;

    /// <summary>
    /// Version 5 → 4: drops the value-history columns (the last four: slot end, slot sum, slot count, handle; 24 bytes
    /// per series) and the two pools after the weekly profiles (value histories, other-period profiles).
    /// </summary>
    public static byte[] ToVersion4(byte[] v5, int series, int bytesPerSeriesColumns)
    {
        Assert.Equal(5, BinaryPrimitives.ReadInt32LittleEndian(v5.AsSpan(4)));
        const int HistoryColumnBytes = sizeof(long) + sizeof(double) + sizeof(int) + sizeof(int);
        var historyColumnAt = HeaderBytes + (series * (bytesPerSeriesColumns - HistoryColumnBytes));
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
