using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Vigil.Cluster.Hosting;
using Vigil.Server.Api;
using Vigil.Server.Http;
using Vigil.Storage;
using Vigil.Storage.Sqlite;

namespace Vigil.Server;

/// <summary>Builds and runs a Vigil node: Kestrel for the REST API, a co-hosted Orleans silo, the embedded store.</summary>
public static class VigilServer
{
    /// <summary>The address served when none is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:9200";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "data",
        ["--node-name"] = "node_name",
        ["--cluster-name"] = "cluster_name",
        ["--silo-port"] = "silo_port",
        ["--gateway-port"] = "gateway_port",
        ["--ml-max-machine-memory-percent"] = "ml_max_machine_memory_percent",
    };

    /// <summary>
    /// Builds the node. Settings come from the command line (<c>--urls</c>, <c>--data</c>, <c>--node-name</c>,
    /// <c>--cluster-name</c>, <c>--silo-port</c>, <c>--gateway-port</c>), environment variables prefixed
    /// <c>VIGIL_</c> (<c>VIGIL_URLS</c>, <c>VIGIL_DATA</c>, ...) or appsettings.json keys of the same names.
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("VIGIL_");
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var configuration = builder.Configuration;

        var urls = configuration["urls"];
        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(urls) ? DefaultUrl : urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // _data streams bodies of any size; JSON bodies are bounded by EsRequest
        });
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        var node = new VigilNodeOptions
        {
            DataDirectory = Path.GetFullPath(configuration["data"] ?? "data"),
            NodeName = configuration["node_name"] ?? Environment.MachineName,
            ClusterName = configuration["cluster_name"] ?? "vigil",
            SiloPort = ReadPort(configuration, "silo_port", 11111),
            GatewayPort = ReadPort(configuration, "gateway_port", 30000),
            MaxMachineMemoryPercent = ReadPercent(configuration, "ml_max_machine_memory_percent", 30),
        };
        builder.AddVigilCluster(node);

        var store = SqliteStore.Open(node.DataDirectory);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<IJobStore>(store);
        builder.Services.AddSingleton<IJobDocumentStore>(store);
        builder.Services.AddSingleton<IResultStore>(store);
        builder.Services.AddSingleton<IFilterStore>(store);
        builder.Services.AddSingleton<ICalendarStore>(store);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddRequestDecompression();

        builder.Services.AddSingleton<RestRouter>();
        builder.Services.AddSingleton<RootApi>();
        builder.Services.AddSingleton<MemoryApi>();
        builder.Services.AddSingleton<JobsApi>();
        builder.Services.AddSingleton<JobLifecycleApi>();
        builder.Services.AddSingleton<ResultsApi>();
        builder.Services.AddSingleton<FiltersApi>();
        builder.Services.AddSingleton<CalendarsApi>();

        var app = builder.Build();
        var router = app.Services.GetRequiredService<RestRouter>();
        app.Services.GetRequiredService<RootApi>().Register(router);
        app.Services.GetRequiredService<MemoryApi>().Register(router);
        app.Services.GetRequiredService<JobsApi>().Register(router);
        app.Services.GetRequiredService<JobLifecycleApi>().Register(router);
        app.Services.GetRequiredService<ResultsApi>().Register(router);
        app.Services.GetRequiredService<FiltersApi>().Register(router);
        app.Services.GetRequiredService<CalendarsApi>().Register(router);

        app.UseRequestDecompression();
        app.UseMiddleware<EsProtocolMiddleware>();
        return app;
    }

    /// <summary>The addresses Kestrel actually listens on (useful when a port of 0 was asked for).</summary>
    public static IReadOnlyCollection<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    private static int ReadPercent(IConfiguration configuration, string key, int fallback)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        var value = int.Parse(raw, NumberStyles.None, CultureInfo.InvariantCulture);
        return value is >= 5 and <= 200
            ? value
            : throw new ArgumentOutOfRangeException(key, value, $"[{key}] must be between 5 and 200");
    }

    private static int ReadPort(IConfiguration configuration, string key, int fallback)
    {
        var raw = configuration[key];
        return string.IsNullOrWhiteSpace(raw) ? fallback : int.Parse(raw, NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
