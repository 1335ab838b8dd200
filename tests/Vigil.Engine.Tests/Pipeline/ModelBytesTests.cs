using Vigil.Engine.Pipeline;

namespace Vigil.Engine.Tests.Pipeline;

/// <summary>The memory budget: at most 2 KB of <c>model_bytes</c> per series with seasonality, whole job.</summary>
public sealed class ModelBytesTests
{
    [Theory]
    [InlineData(5, 10, false)] // 5-minute buckets, daily profile (288 bins) plus the weekly test block
    [InlineData(5, 36, true)] // weekly profile (168 bins) after the daily profile and the test block were freed
    public void Whole_job_model_bytes_per_seasonal_series_stay_within_2_KB(int spanMinutes, int days, bool weekly)
    {
        var series = weekly ? 60 : 200;
        var spanMs = spanMinutes * 60_000L;
        var spec = new AnalysisSpec(
            "m", spanMs, 0, [new DetectorSpec(0, "mean", "v", "p", null, null, false, null, "mean")], [], null, ["v", "p"], false);
        var pipeline = new AnomalyDetectorPipeline(spec);
        var sink = new CollectingSink();
        var random = new Random(9);
        var rec = new TestRecord(2);
        var names = new string[series];
        for (var s = 0; s < series; s++)
        {
            names[s] = "series-" + s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var start = Gen.Start / 86_400_000 * 86_400_000;
        var buckets = days * 86_400_000L / spanMs;
        for (var b = 0; b < buckets; b++)
        {
            var t = start + (b * spanMs);
            var hour = t / 3_600_000.0 % 24;
            var dow = t / 86_400_000 % 7;
            var seasonal = (30 * Math.Sin(2 * Math.PI * hour / 24)) + (weekly && dow is 2 or 3 ? -40 : 0);
            for (var s = 0; s < series; s++)
            {
                pipeline.OnRecord(t + s, rec.Clear().Num(0, 100 + seasonal + (4 * random.NextDouble())).Str(1, names[s]).Fields);
            }

            pipeline.CloseBucket(t, sink);
            sink.Clear();
        }

        var store = pipeline.Detectors[0].Stores[0];
        Assert.True(store.SeasonalCount >= series * 9 / 10, $"only {store.SeasonalCount} of {series} series found seasonal");
        if (weekly)
        {
            Assert.True(store.WeeklyCount >= series * 9 / 10, $"only {store.WeeklyCount} of {series} series found weekly");
        }

        var perSeries = pipeline.ModelBytes / (double)series;
        Assert.True(perSeries <= 2048, $"{perSeries:F0} bytes per series");
    }
}
