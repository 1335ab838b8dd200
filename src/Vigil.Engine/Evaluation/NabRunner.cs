using System.Globalization;
using System.Text;
using Vigil.Engine.Analysis;
using Vigil.Engine.Analysis.Modeling;

namespace Vigil.Engine.Evaluation;

/// <summary>
/// Runs the engine over NAB files with one fixed configuration: one single-metric
/// <c>mean(value)</c> job per file, bucket span = the file's sampling interval detected online from
/// its first rows, and per row the initial <c>anomaly_score</c> of the row's bucket / 100.
/// </summary>
public static class NabRunner
{
    /// <summary>Rows used to detect the sampling interval.</summary>
    public const int IntervalDetectionRows = 12;

    /// <summary>The function every file is analysed with.</summary>
    public static MetricFunction Function { get; } = new(MetricStatistic.Mean, Tail.TwoSided, "mean");

    /// <summary>
    /// The sampling interval: the median of the gaps between the first rows, rounded to whole
    /// seconds (at least one second).
    /// </summary>
    public static long DetectIntervalMs(ReadOnlySpan<long> timesMs)
    {
        var n = Math.Min(timesMs.Length, IntervalDetectionRows);
        if (n < 2)
        {
            return 300_000;
        }

        Span<long> gaps = stackalloc long[n - 1];
        for (var i = 1; i < n; i++)
        {
            gaps[i - 1] = timesMs[i] - timesMs[i - 1];
        }

        gaps.Sort();
        var median = gaps[(gaps.Length - 1) / 2];
        return Math.Max(1000, (median + 500) / 1000 * 1000);
    }

    /// <summary>Scores every row of one file.</summary>
    /// <param name="timesMs">Row times in file order.</param>
    /// <param name="values">Row values.</param>
    /// <param name="configure">Optional change to the engine options (for experiments); null for the fixed configuration.</param>
    public static double[] ScoreRows(long[] timesMs, double[] values, Func<SeriesModelOptions, SeriesModelOptions>? configure = null) =>
        ScoreRows(timesMs, values, configure, out _);

    /// <summary>Scores every row of one file and describes the final model.</summary>
    public static double[] ScoreRows(
        long[] timesMs, double[] values, Func<SeriesModelOptions, SeriesModelOptions>? configure, out string modelSummary)
    {
        ArgumentNullException.ThrowIfNull(timesMs);
        ArgumentNullException.ThrowIfNull(values);
        var span = DetectIntervalMs(timesMs);
        var options = new SeriesModelOptions { BucketSpanMs = span };
        if (configure != null)
        {
            options = configure(options);
        }

        var analyzer = new SingleMetricAnalyzer(Function, options);
        var results = new List<BucketResult>();
        Span<BucketResult> closed = stackalloc BucketResult[4];
        for (var i = 0; i < timesMs.Length; i++)
        {
            var written = analyzer.Add(timesMs[i], values[i], closed);
            for (var k = 0; k < written; k++)
            {
                results.Add(closed[k]);
            }
        }

        if (analyzer.Flush(out var last))
        {
            results.Add(last);
        }

        var models = analyzer.Models;
        modelSummary = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"span {span / 1000}s, {(models.IsWeekly(0) ? "weekly" : models.IsPeriodic(0) ? $"period {models.SeasonalPeriodMs(0) / 60_000} min" : models.IsSeasonal(0) ? "daily" : "no seasonality")}");

        // Each row gets the score of the bucket it fell in (computed when that bucket closed).
        var scores = new double[timesMs.Length];
        var r = 0;
        for (var i = 0; i < timesMs.Length; i++)
        {
            var start = timesMs[i] - (((timesMs[i] % span) + span) % span);
            while (r < results.Count && results[r].BucketStartMs < start)
            {
                r++;
            }

            scores[i] = r < results.Count && results[r].BucketStartMs == start ? RowScore(results[r]) : 0.0;
        }

        return scores;
    }

    /// <summary>
    /// Scores every row of one file through the job engine the server runs (<see cref="Jobs.OfflineRun"/>):
    /// a <c>mean(value)</c> job with the detected bucket span, fed as NDJSON, the last bucket finalized.
    /// </summary>
    public static double[] ScoreRowsThroughJob(long[] timesMs, double[] values)
    {
        ArgumentNullException.ThrowIfNull(timesMs);
        ArgumentNullException.ThrowIfNull(values);
        var span = DetectIntervalMs(timesMs);
        var config = "{\"analysis_config\":{\"bucket_span\":\"" + (span / 1000).ToString(CultureInfo.InvariantCulture)
            + "s\",\"detectors\":[{\"function\":\"mean\",\"field_name\":\"value\"}]},"
            + "\"data_description\":{\"time_field\":\"timestamp\",\"time_format\":\"epoch_ms\"}}";
        var job = Configuration.JobConfigParser.ParseForCreate(Encoding.UTF8.GetBytes(config), "nab", DateTimeOffset.UnixEpoch, "12.0.0");
        using var body = new MemoryStream();
        using (var writer = new StreamWriter(body, leaveOpen: true))
        {
            for (var i = 0; i < timesMs.Length; i++)
            {
                writer.Write("{\"timestamp\":");
                writer.Write(timesMs[i].ToString(CultureInfo.InvariantCulture));
                writer.Write(",\"value\":");
                writer.Write(values[i].ToString("R", CultureInfo.InvariantCulture));
                writer.Write("}\n");
            }
        }

        body.Position = 0;
        var result = Jobs.OfflineRun.Run(job, Jobs.InputFormat.Json, body);
        var byStart = new Dictionary<long, double>(result.Buckets.Count);
        foreach (var bucket in result.Buckets)
        {
            byStart[bucket.Timestamp] = bucket.InitialAnomalyScore / 100.0;
        }

        var scores = new double[timesMs.Length];
        for (var i = 0; i < timesMs.Length; i++)
        {
            var start = timesMs[i] - (((timesMs[i] % span) + span) % span);
            scores[i] = byStart.GetValueOrDefault(start);
        }

        return scores;
    }

    /// <summary>
    /// When true (the default), <see cref="Run"/> scores files through the server's job engine
    /// (<see cref="ScoreRowsThroughJob"/>); model-option experiments (a <c>configure</c> function) always use the
    /// single-series path, which gives the same scores for the fixed configuration.
    /// </summary>
    public static bool ThroughJob { get; set; } = true;

    /// <summary>
    /// Diagnostic switch: when true, rows get min(1, −log10(p)/10) of the bucket probability instead of
    /// the normalized score. Not the published configuration; used to measure what normalization costs.
    /// </summary>
    public static bool ProbabilityScores { get; set; }

    private static double RowScore(in BucketResult result) => ProbabilityScores
        ? (result.Series.Scored ? Math.Min(1.0, -Math.Log10(result.Series.Probability) / 10.0) : 0.0)
        : result.AnomalyScore / 100.0;

    /// <summary>Runs every file listed in the labels that exists under <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">Directory holding <c>category/file.csv</c>.</param>
    /// <param name="labelsPath">Path of <c>combined_windows.json</c>.</param>
    /// <param name="progress">Called with (file name, index, total) before each file; may be null.</param>
    /// <param name="configure">Optional options change for experiments.</param>
    public static List<NabFile> Run(
        string dataDirectory,
        string labelsPath,
        Action<string, int, int>? progress = null,
        Func<SeriesModelOptions, SeriesModelOptions>? configure = null)
    {
        var labels = NabCorpus.ReadWindows(labelsPath);
        var names = new List<string>();
        foreach (var name in labels.Keys)
        {
            if (File.Exists(Path.Combine(dataDirectory, name)))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        var files = new List<NabFile>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            progress?.Invoke(names[i], i, names.Count);
            var (times, values) = NabCorpus.ReadDataFile(Path.Combine(dataDirectory, names[i]));
            var summary = "";
            var scores = ThroughJob && configure is null ? ScoreRowsThroughJob(times, values) : ScoreRows(times, values, configure, out summary);
            files.Add(new NabFile(names[i], times, scores, labels[names[i]]) { ModelSummary = summary });
        }

        return files;
    }
}
