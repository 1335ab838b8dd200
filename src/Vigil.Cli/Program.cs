namespace Vigil.Cli;

/// <summary>Entry point of the <c>vigil</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("vigil: no commands yet");
        return args.Length == 0 ? 1 : 2;
    }
}
