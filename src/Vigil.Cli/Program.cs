using System.CommandLine;

namespace Vigil.Cli;

/// <summary>Entry point of the <c>vigil</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args) => BuildRoot(Console.Out, Console.Error).Parse(args).Invoke();

    /// <summary>Builds the command tree writing results to <paramref name="output"/> and progress to <paramref name="progress"/>.</summary>
    internal static RootCommand BuildRoot(TextWriter output, TextWriter progress)
    {
        var root = new RootCommand("Vigil: Elasticsearch-compatible anomaly detection, offline tools");
        var eval = new Command("eval", "Evaluate detection quality on a benchmark");
        eval.Subcommands.Add(EvalNabCommand.Create(output, progress));
        eval.Subcommands.Add(EvalCalibrationCommand.Create(output, progress));
        root.Subcommands.Add(eval);
        root.Subcommands.Add(DetectCommand.Create(output, progress));
        return root;
    }
}
