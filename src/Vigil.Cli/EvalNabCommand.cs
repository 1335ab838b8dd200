using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Vigil.Engine.Evaluation;

namespace Vigil.Cli;

/// <summary><c>vigil eval nab</c>: runs the engine over a NAB corpus and prints the three profile scores.</summary>
internal static class EvalNabCommand
{
    public static Command Create(TextWriter output, TextWriter progress)
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "NAB data directory (category/file.csv)", Required = true };
        var labels = new Option<FileInfo>("--labels") { Description = "NAB combined_windows.json", Required = true };
        var files = new Option<bool>("--files") { Description = "Also print per-file outcomes under the standard profile" };
        var dump = new Option<DirectoryInfo?>("--dump") { Description = "Write timestamp,value-free per-row scores (time_ms,score,window) per file to this directory" };
        var set = new Option<string[]>("--set")
        {
            Description = "Experiment: override an engine option, name=value (level-half-life, scale-half-life, seasonal-rate, change-threshold, relax, log-model, tail, mb-learn, seasonality, other-periods, ...)",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("nab", "Score the engine on the Numenta Anomaly Benchmark (one fixed configuration, no lookahead)")
        {
            data,
            labels,
            files,
            dump,
            set,
        };
        command.SetAction(parse =>
        {
            var dataDir = parse.GetValue(data)!;
            var labelsFile = parse.GetValue(labels)!;
            if (!dataDir.Exists)
            {
                progress.WriteLine($"vigil: data directory not found: {dataDir.FullName}");
                return 2;
            }

            if (!labelsFile.Exists)
            {
                progress.WriteLine($"vigil: labels file not found: {labelsFile.FullName}");
                return 2;
            }

            var watch = Stopwatch.StartNew();
            var overrides = parse.GetValue(set) ?? [];
            Func<Engine.Analysis.Modeling.SeriesModelOptions, Engine.Analysis.Modeling.SeriesModelOptions>? configure = null;
            if (overrides.Length > 0)
            {
                configure = options => ApplyOverrides(options, overrides);
                NabRunner.ThroughJob = false;
            }

            var corpus = NabRunner.Run(dataDir.FullName, labelsFile.FullName, (name, i, total) =>
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{i + 1}/{total}] {name}")), configure);
            var rows = 0L;
            foreach (var f in corpus)
            {
                rows += f.TimesMs.Length;
            }

            Print(output, corpus, parse.GetValue(files));
            var dumpDir = parse.GetValue(dump);
            if (dumpDir != null)
            {
                Dump(dumpDir, corpus);
            }

            progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{corpus.Count} files, {rows} rows in {watch.Elapsed.TotalSeconds:F1} s"));
            return 0;
        });
        return command;
    }

    /// <summary>Applies <c>--set name=value</c> overrides to model options (shared by the eval commands).</summary>
    internal static Engine.Analysis.Modeling.SeriesModelOptions ApplyOverrides(
        Engine.Analysis.Modeling.SeriesModelOptions options, string[] overrides)
    {
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? item : item[..eq];
            var value = eq < 0 ? "1" : item[(eq + 1)..];
            var number = double.Parse(value, CultureInfo.InvariantCulture);
            options = name switch
            {
                "level-half-life" => options with { LevelHalfLifeBuckets = number },
                "level-half-life-hours" => options with { LevelHalfLifeMs = (long)(number * 3_600_000) },
                "scale-half-life" => options with { ScaleHalfLifeBuckets = number },
                "seasonal-rate" => options with { SeasonalLearningRate = number },
                "change-threshold" => options with { ChangeThreshold = number },
                "relax" => options with { ChangeRelaxBuckets = (int)number },
                "log-model" => options with { LogErrorModel = number != 0 },
                "probability-scores" => SetProbabilityScores(options, number != 0),
                "through-job" => SetThroughJob(options, number != 0),
                "anomaly-model" => options with { AnomalyCharacteristics = number != 0 },
                "range" => options with { RangeNovelty = number != 0 },
                "tail" => options with { TailCalibration = number != 0 },
                "mb-normal" => options with { NormalScoreMultiBucket = number != 0 },
                "trend" => options with { Trend = number != 0 },
                "routine" => options with { RoutineOutliers = number != 0 },
                "recurring" => options with { RecurringOutlierLearning = number != 0 },
                "mb-clip" => options with { MultiBucketClip = number },
                "mb-shape" => options with { MultiBucketShapeVariance = number != 0 },
                "mb-learn" => options with { LearnMultiBucketSpread = number != 0 },
                "mb-continuation" => options with { MultiBucketNeedsContinuation = number != 0 },
                "change-persist" => options with { ChangeMinimumBuckets = (int)number },
                "innovation" => options with { InnovationModel = number != 0 },
                "seasonality" => options with { DetectDailySeasonality = number != 0, DetectOtherPeriods = number != 0 },
                "other-periods" => options with { DetectOtherPeriods = number != 0 },
                _ => throw new ArgumentException($"unknown engine option '{name}'"),
            };
        }

        return options;
    }

    private static Engine.Analysis.Modeling.SeriesModelOptions SetThroughJob(Engine.Analysis.Modeling.SeriesModelOptions options, bool on)
    {
        NabRunner.ThroughJob = on;
        return options;
    }

    private static Engine.Analysis.Modeling.SeriesModelOptions SetProbabilityScores(
        Engine.Analysis.Modeling.SeriesModelOptions options, bool on)
    {
        NabRunner.ProbabilityScores = on;
        return options;
    }

    private static void Dump(DirectoryInfo directory, List<NabFile> corpus)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var file in corpus)
        {
            var path = Path.Combine(directory.FullName, file.Name.Replace('/', '_') + ".scores.csv");
            Directory.CreateDirectory(directory.FullName);
            using var writer = new StreamWriter(path);
            writer.WriteLine("time_ms,score,window");
            for (var i = 0; i < file.TimesMs.Length; i++)
            {
                var inWindow = 0;
                foreach (var (start, end) in file.Windows)
                {
                    if (file.TimesMs[i] >= start && file.TimesMs[i] <= end)
                    {
                        inWindow = 1;
                    }
                }

                writer.WriteLine(string.Create(inv, $"{file.TimesMs[i]},{file.Scores[i]:0.######},{inWindow}"));
            }
        }
    }

    private static void Print(TextWriter output, List<NabFile> corpus, bool perFile)
    {
        var inv = CultureInfo.InvariantCulture;
        var results = new List<NabProfileResult>();
        foreach (var profile in NabProfile.All)
        {
            results.Add(NabScorer.Score(corpus, profile));
        }

        output.WriteLine("profile               score   threshold   TP   FN   FP");
        foreach (var r in results)
        {
            int tp = 0, fn = 0, fp = 0;
            foreach (var f in r.Files)
            {
                tp += f.TruePositives;
                fn += f.FalseNegatives;
                fp += f.FalsePositives;
            }

            output.WriteLine(string.Create(inv, $"{r.Profile.Name,-20} {r.NormalizedScore,6:F2}   {r.Threshold,9:F4} {tp,4} {fn,4} {fp,4}"));
        }

        output.WriteLine();
        output.WriteLine("per category (standard / low FP / low FN, at each profile's corpus threshold; TP FN FP under standard)");
        var categories = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in corpus)
        {
            categories.Add(f.Category);
        }

        foreach (var category in categories)
        {
            var line = new System.Text.StringBuilder();
            line.Append(inv, $"{category,-24}");
            int tp = 0, fn = 0, fp = 0;
            for (var p = 0; p < results.Count; p++)
            {
                var raw = 0.0;
                var windows = 0;
                foreach (var f in results[p].Files)
                {
                    if (f.Name.StartsWith(category + "/", StringComparison.Ordinal))
                    {
                        raw += f.Score;
                        windows += f.Windows;
                        if (p == 0)
                        {
                            tp += f.TruePositives;
                            fn += f.FalseNegatives;
                            fp += f.FalsePositives;
                        }
                    }
                }

                line.Append(windows == 0
                    ? string.Create(inv, $" raw {raw,6:F2}")
                    : string.Create(inv, $" {NabScorer.Normalize(raw, windows, results[p].Profile),6:F1}"));
            }

            line.Append(inv, $"   TP {tp} FN {fn} FP {fp}");
            output.WriteLine(line.ToString());
        }

        if (perFile)
        {
            output.WriteLine();
            output.WriteLine("per file (standard profile)");
            for (var i = 0; i < results[0].Files.Count; i++)
            {
                var f = results[0].Files[i];
                output.WriteLine(string.Create(inv,
                    $"{f.Name,-58} {f.Score,7:F3}  TP {f.TruePositives} FN {f.FalseNegatives} FP {f.FalsePositives,-3} {corpus[i].ModelSummary}"));
            }
        }
    }
}
