namespace Vigil.Server.Tests.Support;

/// <summary>One server shared by the tests of a class (xunit class fixture).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public VigilTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await VigilTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
