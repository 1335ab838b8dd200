using System.CommandLine;
using System.Globalization;
using Vigil.Engine.Analysis.Modeling;
using Vigil.Engine.Evaluation;

namespace Vigil.Cli;

/// <summary><c>vigil eval calibration</c>: counts small probabilities of the per-series model on clean generated data.</summary>
internal static class EvalCalibrationCommand
{
    public static Command Create(TextWriter output, TextWriter progress)
    {
        var set = new Option<string[]>("--set")
        {
            Description = "Experiment: override an engine option, name=value (as for eval nab)",
            AllowMultipleArgumentsPerToken = true,
        };
        var only = new Option<string[]>("--case") { Description = "Run only these cases (names as printed)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("calibration",
            "Count p < 1e-2 / 1e-3 / 1e-4 of the per-series model on clean generated data (40 series x 3,000 buckets per case)")
        {
            set,
            only,
        };
        command.SetAction(parse =>
        {
            var options = EvalNabCommand.ApplyOverrides(new SeriesModelOptions { BucketSpanMs = 300_000 }, parse.GetValue(set) ?? []);
            var names = parse.GetValue(only) ?? [];
            var inv = CultureInfo.InvariantCulture;
            var calibrated = (CalibrationRunner.Buckets - CalibrationRunner.WarmUp) * CalibrationRunner.Series;
            output.WriteLine(string.Create(inv,
                $"p below 1e-2 / 1e-3 / 1e-4 in {calibrated} scored series-buckets per case (calibrated {calibrated * 1e-2:F0} / {calibrated * 1e-3:F0} / {calibrated * 1e-4:F1})"));
            output.WriteLine("case          joint                single               multi                min p      what");
            foreach (var c in CalibrationRunner.Cases)
            {
                if (names.Length > 0 && Array.IndexOf(names, c.Name) < 0)
                {
                    continue;
                }

                progress.WriteLine($"[{c.Name}]");
                var r = CalibrationRunner.Run(c, options);
                output.WriteLine(string.Create(inv,
                    $"{c.Name,-13} {Triple(r.Joint),-20} {Triple(r.Single),-20} {Triple(r.Multi),-20} {r.MinProbability,-10:E1} {c.Description}"));
            }

            return 0;
        });
        return command;
    }

    private static string Triple(int[] counts) =>
        string.Create(CultureInfo.InvariantCulture, $"{counts[0]} / {counts[1]} / {counts[2]}");
}
