namespace Vigil.Engine.Analysis.Modeling;

/// <summary>Routine (time-of-day recurring) outliers of <see cref="SeriesModelStore"/>.</summary>
/// <remarks>
/// <para>A series with a scheduled job (a nightly batch, an hourly cron) shows a large one-bucket
/// deviation at roughly the same time every day, with a few buckets of jitter. The smooth seasonal
/// profile cannot represent it and the noise model down-weights it as an outlier, so every
/// recurrence scores as a fresh extreme event.</para>
/// <para>The residual distribution is treated as a mixture: with probability π_h (the observed rate
/// of outliers, tail p &lt; 1e-3, in hour-of-day h, exponentially weighted over about four weeks of
/// that hour's buckets; half the rate of an adjacent hour counts too, for jobs whose start jitters
/// across an hour boundary) a bucket is a routine outlier whose size ln|z| follows a normal learned
/// from earlier outliers; otherwise it follows the noise model. The tail probability is
/// (1 − π_h)·p_noise + π_h·p_routine, where p_routine = P(ln|Z| ≥ ln|z|) under the size model of
/// earlier outliers of the same sign (1 for outliers no larger than typical). An outlier at an
/// unusual hour (π_h ≈ 0), in the other direction, or much larger than the routine ones keeps its
/// small probability. Implementation note: ml-cpp reaches a
/// similar effect through heteroscedastic seasonal bucket variances and its multimodal residual
/// prior; this is a cheap O(1) stand-in.</para>
/// </remarks>
public sealed partial class SeriesModelStore
{
    /// <summary>Per series: 24 hour-of-day outlier rates, then for upward and downward outliers the mean and variance of ln|z| and the outlier count.</summary>
    private const int RoutineStride = 30;
    private const int RoutineHours = 24;
    private const double RoutineMemoryDays = 28.0;

    private double RoutineOutlierTail(int s, long t, double logTail, double z, bool gated, bool readOnly)
    {
        var block = _routine.AsSpan(s * RoutineStride, RoutineStride);
        var hour = (int)(((t % DayMs) + DayMs) % DayMs * RoutineHours / DayMs);
        var result = logTail;
        double rate = block[hour];
        var neighbours = 0.5 * Math.Max(block[(hour + RoutineHours - 1) % RoutineHours], block[(hour + 1) % RoutineHours]);
        var mixRate = Math.Max(rate, neighbours);
        var size0 = RoutineHours + (z < 0 ? 3 : 0);
        double outliers = block[size0 + 2];
        var az = Math.Abs(z);
        if (mixRate > 0 && outliers >= 3 && az > 0)
        {
            double mean = block[size0];
            var sd = Math.Sqrt(Math.Max(block[size0 + 1], 0.0625));
            var size = (Math.Log(az) - mean) / sd;
            var logRoutine = size <= 0 ? 0.0 : SpecialFunctions.LogNormalTwoSidedTail(size) - 0.6931471805599453;
            var mixed = Math.Log((1 - mixRate) * Math.Exp(logTail) + mixRate * Math.Exp(logRoutine));
            result = Math.Min(0.0, Math.Max(logTail, mixed));
        }

        if (!gated && !readOnly)
        {
            var isOutlier = logTail < LogOutlierHigh;
            var bucketsPerHour = Math.Max(1.0, 3_600_000.0 / _options.BucketSpanMs);
            var step = 1.0 / (RoutineMemoryDays * bucketsPerHour);
            block[hour] = (float)(rate + step * ((isOutlier ? 1.0 : 0.0) - rate));
            if (isOutlier && az > 0)
            {
                var count = Math.Min(outliers + 1, 50);
                var w = 1.0 / count;
                var lz = Math.Log(az);
                var oldMean = (double)block[size0];
                var d = lz - oldMean;
                var newMean = oldMean + w * d;
                var oldVar = (double)block[size0 + 1];
                block[size0] = (float)newMean;
                block[size0 + 1] = (float)(oldVar + w * (d * (lz - newMean) - oldVar));
                block[size0 + 2] = (float)count;
            }
        }

        return result;
    }
}
