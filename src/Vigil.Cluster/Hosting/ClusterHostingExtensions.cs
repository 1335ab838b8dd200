using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace Vigil.Cluster.Hosting;

/// <summary>Co-hosts the Orleans silo of a Vigil node in the server process.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// Adds a silo with localhost clustering on the node's silo and gateway ports. One grain per open job
    /// and one per node live in it; nothing outside Vigil.Cluster references Orleans.
    /// </summary>
    public static IHostApplicationBuilder AddVigilCluster(this IHostApplicationBuilder builder, VigilNodeOptions options)
    {
        options.EnsureNodeId();
        builder.Services.AddSingleton(options);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterName;
                o.ServiceId = "vigil";
            });
            silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
        });
        builder.Services.AddSingleton<Jobs.LocalJobRegistry>();
        builder.Services.AddSingleton<IClusterFacade, ClusterFacade>();
        builder.Services.AddHostedService<Jobs.JobTaskRecovery>();
        return builder;
    }
}
