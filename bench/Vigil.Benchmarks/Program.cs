using BenchmarkDotNet.Running;
using Vigil.Benchmarks.Load;

if (args.Length > 0 && args[0] == "load")
{
    return await PostDataLoad.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(PostDataLoad).Assembly).Run(args);
return 0;
