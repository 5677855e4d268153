using EdgeDeploy.Protos.V1;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>The real server host on a loopback port picked by the OS.</summary>
public sealed class DeviceServiceTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _app = EdgeDeploy.UpdateServer.UpdateServerApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _channel = GrpcChannel.ForAddress(address);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task GetServerInfo_OverLoopback_ReportsProtocolAndEveryElementType()
    {
        var client = new DeviceService.DeviceServiceClient(_channel);

        var info = await client.GetServerInfoAsync(new GetServerInfoRequest { RuntimeVersion = "0.1.0" }, deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(1, info.ProtocolVersion);
        Assert.Equal(13, info.SupportedElementTypes.Count);
        Assert.Contains(ElementType.Float16, info.SupportedElementTypes);
    }

    [Fact]
    public async Task HealthCheck_RunningServer_ReportsServing()
    {
        var client = new Health.HealthClient(_channel);

        var response = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
