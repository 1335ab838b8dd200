using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace Vigil.Server.Tests.Support;

/// <summary>
/// A real Vigil node on loopback: Kestrel on a free port, its own Orleans silo and gateway ports, its own
/// data directory. Tests talk to it over HTTP. It can be stopped and started again on the same data
/// directory to test persistence.
/// </summary>
public sealed class VigilTestServer : IAsyncDisposable
{
    private WebApplication? _app;

    private VigilTestServer(string dataDirectory) => DataDirectory = dataDirectory;

    /// <summary>The node's data directory (deleted on dispose).</summary>
    public string DataDirectory { get; }

    /// <summary>Client with the server's base address.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>Base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts a node on a fresh data directory.</summary>
    public static async Task<VigilTestServer> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-test-" + Guid.NewGuid().ToString("N"));
        var server = new VigilTestServer(dir);
        await server.StartNodeAsync();
        return server;
    }

    /// <summary>Stops the node and starts a new one on the same data directory (new ports).</summary>
    public async Task RestartAsync()
    {
        await StopNodeAsync();
        await StartNodeAsync();
    }

    private async Task StartNodeAsync()
    {
        var silo = FreePort();
        var gateway = FreePort();
        _app = VigilServer.Build([
            "--urls", "http://127.0.0.1:0",
            "--data", DataDirectory,
            "--silo-port", silo.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", gateway.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--node-name", "test-node",
            "--ml-max-machine-memory-percent", "200", // test classes keep dozens of 1 GB-limit jobs open
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await _app.StartAsync();
        var address = VigilServer.Addresses(_app).First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    private async Task StopNodeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopNodeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends a request with an optional JSON body; returns status and parsed body.</summary>
    public async Task<EsReply> SendAsync(HttpMethod method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Client.SendAsync(request);
        return await EsReply.ReadAsync(response);
    }

    public Task<EsReply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<EsReply> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json);

    public Task<EsReply> PostAsync(string path, string? json = null) => SendAsync(HttpMethod.Post, path, json);

    public Task<EsReply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A response: status, headers, raw text and parsed JSON.</summary>
public sealed class EsReply
{
    public required HttpStatusCode Status { get; init; }

    public required string Text { get; init; }

    public required HttpResponseHeaders Headers { get; init; }

    public required HttpContentHeaders ContentHeaders { get; init; }

    /// <summary>The body as JSON (null when empty).</summary>
    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);

    /// <summary>error.type of an Elasticsearch error body.</summary>
    public string? ErrorType => Json?["error"]?["type"]?.GetValue<string>();

    /// <summary>error.reason of an Elasticsearch error body.</summary>
    public string? ErrorReason => Json?["error"]?["reason"]?.GetValue<string>();

    public static async Task<EsReply> ReadAsync(HttpResponseMessage response) => new()
    {
        Status = response.StatusCode,
        Text = await response.Content.ReadAsStringAsync(),
        Headers = response.Headers,
        ContentHeaders = response.Content.Headers,
    };

    public override string ToString() => $"{(int)Status} {Text}";
}
