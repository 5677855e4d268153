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

    [Fact]
    public async Task CheckIn_NothingChanged_ReusesTheSignedAssignmentUntilARolloutChanges()
    {
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));
        var token = await _server.RegisterAsync("kiosk-1");
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);

        var first = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
        await _server.EvaluateRolloutsAsync(); // a controller tick that changes nothing devices see
        var again = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var changed = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));

        Assert.Equal(first.Signature, again.Signature); // same signed bytes: no new ECDSA signature
        Assert.Equal("2.0.0", Assignment.Parser.ParseFrom(changed.Assignment).Versions.Single().Version);
    }
}
