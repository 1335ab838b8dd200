using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Tests.Analysis;

/// <summary>Snapshots written before version 4 held seasonal profiles as floats; they still load.</summary>
public sealed class ProfileSnapshotCompatibilityTests
{
    private const long Hour = 3_600_000;
    private const long Start = 1_700_006_400_000 / (24 * Hour) * (24 * Hour);
    private const int Series = 4;

    [Fact]
    public void Version_3_snapshot_with_float_daily_profiles_continues_like_the_original()
    {
        var options = new SeriesModelOptions { BucketSpanMs = Hour };
        var store = new SeriesModelStore(options);
        for (var s = 0; s < Series; s++)
        {
            store.Add();
        }

        var random = new Random(21);
        var t = 0;
        for (; t < 24 * 20; t++)
        {
            Feed(store, t, random);
        }

        Assert.Equal(Series, store.SeasonalCount);
        var buffer = new ArrayBufferWriter<byte>();
        store.Save(buffer);
        var v3 = ToVersion3(SnapshotVersions.ToVersion4(buffer.WrittenSpan.ToArray(), Series, store.BytesPerSeriesColumns));
        var restored = SeriesModelStore.Load(v3, options);

        var randomA = new Random(22);
        var randomB = new Random(22);
        for (var i = 0; i < 48; i++, t++)
        {
            for (var s = 0; s < Series; s++)
            {
                var x = Value(t, s, randomA);
                Assert.Equal(x, Value(t, s, randomB));
                var a = store.ScoreThenUpdate(s, Start + (t * Hour), x, 1, Tail.TwoSided);
                var b = restored.ScoreThenUpdate(s, Start + (t * Hour), x, 1, Tail.TwoSided);
                Assert.Equal(a.Typical, b.Typical, 1e-2); // the re-quantized profile differs by a step or two (noise sd is 1)
                Assert.Equal(Math.Log(a.Probability), Math.Log(b.Probability), 1e-2);
            }
        }
    }

    private static void Feed(SeriesModelStore store, int t, Random random)
    {
        for (var s = 0; s < Series; s++)
        {
            store.ScoreThenUpdate(s, Start + (t * Hour), Value(t, s, random), 1, Tail.TwoSided);
        }
    }

    private static double Value(int t, int s, Random random) =>
        100 + (10 * s) + (30 * Math.Sin(2 * Math.PI * (t % 24) / 24.0)) + SeriesGenerator.Gaussian(random);

    /// <summary>
    /// Rewrites a version 4 snapshot (1-hour buckets: 24 daily bins, no weekly profile) into version 3's layout,
    /// where a daily profile block is the 24 bin values as floats followed by the 24 scale bins.
    /// </summary>
    private static byte[] ToVersion3(byte[] v4)
    {
        const int Bins = 24;
        const int ScaleBins = 24;
        var quantizedStride = QuantizedProfile.Stride(Bins, ScaleBins);

        // The snapshot ends with three pools: tests, daily profiles, weekly profiles (empty: 12-byte header).
        var weeklyAt = v4.Length - 12;
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(v4.AsSpan(weeklyAt + 4)));
        var dailyBytes = 12 + (Series * quantizedStride * sizeof(float));
        var dailyAt = weeklyAt - dailyBytes;
        Assert.Equal(quantizedStride, BinaryPrimitives.ReadInt32LittleEndian(v4.AsSpan(dailyAt)));
        Assert.Equal(Series, BinaryPrimitives.ReadInt32LittleEndian(v4.AsSpan(dailyAt + 4)));

        var floats = new List<byte>();
        var header = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, Bins + ScaleBins);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), Series);
        floats.AddRange(header);
        for (var h = 0; h < Series; h++)
        {
            var block = MemoryMarshal.Cast<byte, float>(v4.AsSpan(dailyAt + 12 + (h * quantizedStride * sizeof(float)), quantizedStride * sizeof(float))).ToArray();
            var profile = new QuantizedProfile(block, Bins, ScaleBins);
            var old = new float[Bins + ScaleBins];
            for (var b = 0; b < Bins; b++)
            {
                old[b] = (float)profile[b];
            }

            for (var k = 0; k < ScaleBins; k++)
            {
                old[Bins + k] = profile.Scale(k);
            }

            floats.AddRange(MemoryMarshal.AsBytes(old.AsSpan()).ToArray());
        }

        var v3 = new List<byte>(v4.AsSpan(0, dailyAt).ToArray());
        v3.AddRange(floats);
        v3.AddRange(v4.AsSpan(weeklyAt).ToArray());
        var result = v3.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(4), 3);
        return result;
    }
}
