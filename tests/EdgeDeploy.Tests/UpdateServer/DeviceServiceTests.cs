using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Health.V1;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>The real server host on a loopback port picked by the OS.</summary>
public sealed class DeviceServiceTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetServerInfo_OverLoopback_ReportsProtocolAndEveryElementType()
    {
        var info = await _server.Devices.GetServerInfoAsync(new GetServerInfoRequest { RuntimeVersion = "0.1.0" }, deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(1, info.ProtocolVersion);
        Assert.Equal(13, info.SupportedElementTypes.Count);
        Assert.Contains(ElementType.Float16, info.SupportedElementTypes);
    }

    [Fact]
    public async Task HealthCheck_RunningServer_ReportsServing()
    {
        var client = new Health.HealthClient(_server.Channel);

        var response = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
