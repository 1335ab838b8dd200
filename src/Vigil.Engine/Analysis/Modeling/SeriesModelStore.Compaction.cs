namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Compaction of the optional-block pools of <see cref="SeriesModelStore"/>.</summary>
/// <remarks>
/// Series give blocks back when they move on (a daily profile and the test block are freed when a weekly
/// profile is accepted, the value history when any seasonal component is), and a pool keeps its pages. Once at least half of a pool's blocks are free (and more
/// than a page's worth), <see cref="CompactPools"/> copies the blocks in use into a fresh pool and rewrites the
/// owners' handles, so <see cref="ModelBytes"/> follows what the models hold rather than their peak.
/// </remarks>
public sealed partial class SeriesModelStore
{
    /// <summary>
    /// Compacts pools that are mostly free. Cheap when there is nothing to do; must not run concurrently
    /// with <see cref="ScoreThenUpdate"/> (the pipeline calls it after a bucket's models are updated).
    /// </summary>
    /// <returns>True when a pool was compacted.</returns>
    public bool CompactPools()
    {
        var compacted = false;
        if (IsMostlyFree(_tests))
        {
            _tests = Compact(_tests, _testHandle, 0, 0);
            compacted = true;
        }

        if (IsMostlyFree(_dailyProfiles))
        {
            _dailyProfiles = Compact(_dailyProfiles, _profileHandle, FlagDaily, FlagDaily);
            compacted = true;
        }

        if (IsMostlyFree(_weeklyProfiles))
        {
            _weeklyProfiles = Compact(_weeklyProfiles, _profileHandle, FlagWeekly, FlagWeekly);
            compacted = true;
        }

        if (IsMostlyFree(_histories))
        {
            _histories = Compact(_histories, _historyHandle, 0, 0);
            compacted = true;
        }

        if (IsMostlyFree(_periodicProfiles))
        {
            _periodicProfiles = Compact(_periodicProfiles, _profileHandle, FlagPeriodic, FlagPeriodic);
            compacted = true;
        }

        return compacted;
    }

    private static bool IsMostlyFree(FloatSlabPool pool)
    {
        var free = pool.Allocated - pool.InUse;
        return free > FloatSlabPool.BlocksPerPage && free * 2 >= pool.Allocated;
    }

    /// <summary>Copies the blocks owned by series (handle ≥ 0 and <c>flags &amp; mask == value</c>) into a new pool.</summary>
    private FloatSlabPool Compact(FloatSlabPool pool, int[] handles, int mask, int value)
    {
        var fresh = new FloatSlabPool(pool.Stride);
        for (var s = 0; s < _count; s++)
        {
            var h = handles[s];
            if (h < 0 || (_flags[s] & mask) != value)
            {
                continue;
            }

            var moved = fresh.Allocate();
            pool.Block(h).CopyTo(fresh.Block(moved));
            handles[s] = moved;
        }

        return fresh;
    }

    /// <summary>
    /// Converts a pool of profiles stored as floats (snapshots before version 4: <paramref name="oldBins"/> bins,
    /// then the scale bins) into quantized profiles of <paramref name="bins"/> bins, resampling linearly around
    /// the period when the bin counts differ. Handles are kept.
    /// </summary>
    private FloatSlabPool FromFloatProfiles(FloatSlabPool old, int oldBins, int bins)
    {
        var fresh = new FloatSlabPool(QuantizedProfile.Stride(bins, ScaleBins));
        if (old.Allocated == 0)
        {
            return fresh;
        }

        if (old.Stride != oldBins + ScaleBins)
        {
            throw new InvalidDataException("series model snapshot has profiles of an unexpected size");
        }

        Span<double> values = stackalloc double[bins];
        for (var h = 0; h < old.Allocated; h++)
        {
            var moved = fresh.Allocate();
            var source = old.Block(h);
            for (var b = 0; b < bins; b++)
            {
                var pos = ((b + 0.5) * oldBins / bins) - 0.5;
                var lo = (int)Math.Floor(pos);
                var frac = pos - lo;
                values[b] = ((1 - frac) * source[(lo + oldBins) % oldBins]) + (frac * source[(lo + 1) % oldBins]);
            }

            var profile = new QuantizedProfile(fresh.Block(moved), bins, ScaleBins);
            profile.SetAll(values);
            for (var k = 0; k < ScaleBins; k++)
            {
                profile.Scale(k) = source[oldBins + k];
            }
        }

        foreach (var h in old.FreeHandles)
        {
            fresh.Free(h);
        }

        return fresh;
    }
}
