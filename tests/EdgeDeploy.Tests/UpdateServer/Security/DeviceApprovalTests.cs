using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>EdgeDeploy:RequireDeviceApproval against the real server: an enrolled device is no member of the fleet until an admin accepts it.</summary>
public sealed class DeviceApprovalTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private AdminService.AdminServiceClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(settings: ["--EdgeDeploy:RequireDeviceApproval=true"]);
        _admin = new AdminService.AdminServiceClient(_server.Channel);
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Enrol_WithApprovalRequired_DeviceWaitsOutsideTheFleetUntilAnAdminAcceptsIt()
    {
        var token = await _server.RegisterAsync("kiosk-1", "lab");
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = Model, Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);

        var waiting = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token)));
        var health = await Assert.ThrowsAsync<RpcException>(async () => await ReportHealthAsync(_server, token, "1.0.0", 10, 10));
        var again = await Assert.ThrowsAsync<RpcException>(() => _server.RegisterAsync("kiosk-1", "prod"));
        var pending = await _admin.ListPendingDevicesAsync(new ListPendingDevicesRequest(), UpdateServerHost.Operator);

        Assert.Equal((StatusCode.FailedPrecondition, "Device kiosk-1 is waiting for an admin to accept it (edge devices accept kiosk-1)."), (waiting.StatusCode, waiting.Status.Detail));
        Assert.Equal(StatusCode.FailedPrecondition, health.StatusCode);
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.Equal(("kiosk-1", "lab"), (Assert.Single(pending.Devices).DeviceId, pending.Devices[0].Tags.Single()));
        Assert.Empty((await DevicesAsync(_server)).Devices);
        Assert.Equal(0, (await RolloutAsync(_server, rollout.Id)).TargetedDevices); // not a member: cannot hold the rollout's gates

        await _admin.AcceptDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "asset tag checked" }, UpdateServerHost.Operator);
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));

        Assert.Equal("kiosk-1", Assert.Single((await DevicesAsync(_server)).Devices).DeviceId);
        Assert.Equal(1, (await RolloutAsync(_server, rollout.Id)).TargetedDevices);
        Assert.Empty((await _admin.ListPendingDevicesAsync(new ListPendingDevicesRequest(), UpdateServerHost.Operator)).Devices);
        var audit = Assert.Single((await _admin.ListAuditAsync(new ListAuditRequest { Target = "device kiosk-1" }, UpdateServerHost.Operator)).Entries);
        Assert.Equal(("AcceptDevice", "asset tag checked", "ok"), (audit.Action, audit.Reason, audit.Outcome));
    }

    [Fact]
    public async Task RejectOrAcceptByADeployer_RejectedDeviceNeverGetsInAndADeployerCannotAdmitOne()
    {
        var deployer = (await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "dora", Role = "deployer" }, UpdateServerHost.Operator)).Token;
        var mallory = await _server.RegisterAsync("mallory-1", "lab");

        var denied = await Assert.ThrowsAsync<RpcException>(async () => await _admin.AcceptDeviceAsync(new DeviceActionRequest { DeviceId = "mallory-1" }, UpdateServerHost.Bearer(deployer)));
        var listedByDeployer = await _admin.ListPendingDevicesAsync(new ListPendingDevicesRequest(), UpdateServerHost.Bearer(deployer));
        await _admin.RejectDeviceAsync(new DeviceActionRequest { DeviceId = "mallory-1", Reason = "unknown hardware" }, UpdateServerHost.Operator);
        var afterReject = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(mallory)));
        var acceptGone = await Assert.ThrowsAsync<RpcException>(async () => await _admin.AcceptDeviceAsync(new DeviceActionRequest { DeviceId = "mallory-1" }, UpdateServerHost.Operator));

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal("mallory-1", Assert.Single(listedByDeployer.Devices).DeviceId);
        Assert.Equal(StatusCode.Unauthenticated, afterReject.StatusCode);
        Assert.Equal(StatusCode.NotFound, acceptGone.StatusCode);
        Assert.Empty((await DevicesAsync(_server)).Devices);
        Assert.Empty((await _admin.ListPendingDevicesAsync(new ListPendingDevicesRequest(), UpdateServerHost.Operator)).Devices);
    }
}
