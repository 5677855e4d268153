using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>`edge devices remove|reset|rotate` against the real server and a real agent: credentials stop (or change) exactly as promised.</summary>
public sealed class DeviceAdministrationTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private AdminService.AdminServiceClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        _admin = new AdminService.AdminServiceClient(_server.Channel);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task RemoveDevice_ItsCredentialIsRefusedAtOnceAndOtherDevicesKeepWorking()
    {
        var removed = await _server.RegisterAsync("kiosk-1", "lab");
        var kept = await _server.RegisterAsync("kiosk-2", "lab");
        await _server.Devices.CheckInAsync(new CheckInRequest { Installed = { new InstalledModel { Name = Model, Version = "1.0.0" } } }, UpdateServerHost.Bearer(removed));

        var answer = await _admin.RemoveDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "stolen" }, UpdateServerHost.Operator);
        var checkIn = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(removed)));
        var health = await Assert.ThrowsAsync<RpcException>(async () => await ReportHealthAsync(_server, removed, "1.0.0", 1, 0));
        var rotate = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1" }, UpdateServerHost.Bearer(removed)));
        await _server.FlushCheckInsAsync();

        Assert.Equal("kiosk-1", answer.DeviceId);
        Assert.All([checkIn, health], ex => Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode));
        Assert.Equal(StatusCode.Unauthenticated, rotate.StatusCode); // the old credential cannot re-register the id
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(kept));
        Assert.Equal(["kiosk-2"], (await DevicesAsync(_server)).Devices.Select(d => d.DeviceId));
        var store = _server.Service<IUpdateStore>();
        Assert.Null(await store.FindDeviceByTokenHashAsync(EdgeDeploy.UpdateServer.Api.Auth.HashToken(removed), CancellationToken.None));
        Assert.False((await store.GetAllInstalledAsync(CancellationToken.None)).ContainsKey("kiosk-1"));
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await _admin.RemoveDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1" }, UpdateServerHost.Operator));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task ResetDevice_ItsCredentialStopsAndOnlyAFreshEnrolmentTokenEnrolsItAgain()
    {
        var old = await _server.RegisterAsync("kiosk-1", "lab");

        await _admin.ResetDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "reimaged" }, UpdateServerHost.Operator);
        var checkIn = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)));
        var selfRotate = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1" }, UpdateServerHost.Bearer(old)));
        var noToken = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1", RuntimeVersion = "0.2.0" }));
        var listed = Assert.Single((await DevicesAsync(_server)).Devices); // the record stays (tags, history)
        var token = (await _admin.CreateEnrollmentTokenAsync(new CreateEnrollmentTokenRequest { DeviceId = "kiosk-1", MaxUses = 1, TtlSeconds = 600 }, UpdateServerHost.Operator)).Token;
        var fresh = (await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1", EnrollmentToken = token, RuntimeVersion = "0.2.0", Tags = { "lab" } })).DeviceToken;

        Assert.Equal(StatusCode.Unauthenticated, checkIn.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, selfRotate.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, noToken.StatusCode);
        Assert.Equal(("kiosk-1", "lab"), (listed.DeviceId, listed.Tags.Single()));
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(fresh));
        await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)));
        Assert.Equal("0.2.0", Assert.Single((await DevicesAsync(_server)).Devices).RuntimeVersion);
    }

    [Fact]
    public async Task RotateDevice_NewCredentialAtNextCheckIn_OldWorksUntilTheNewIsUsedAndALostAnswerIsReissued()
    {
        var old = await _server.RegisterAsync("kiosk-1", "lab");
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)); // caches a signed assignment

        await _admin.RotateDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "yearly" }, UpdateServerHost.Operator);
        var lost = (await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old))).RotatedDeviceToken; // pretend this answer never arrived
        var second = (await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old))).RotatedDeviceToken;
        var lostRefused = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(lost)));
        var withNew = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(second));
        var oldRefused = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)));
        var after = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(second));

        Assert.NotEmpty(lost);
        Assert.NotEmpty(second);
        Assert.NotEqual(lost, second);
        Assert.Equal(StatusCode.Unauthenticated, lostRefused.StatusCode); // replaced by the reissue
        Assert.Empty(withNew.RotatedDeviceToken);
        Assert.Equal(StatusCode.Unauthenticated, oldRefused.StatusCode);
        Assert.Empty(after.RotatedDeviceToken); // done: no further rotation
        Assert.Empty(await _server.Service<IUpdateStore>().ListPendingRotationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RotateDevice_RealAgent_StoresTheNewCredentialAndTheOldOneStopsWorking()
    {
        using var device = new FleetDevice(_server, "kiosk-1");
        await device.CheckInAsync();
        var statePath = Path.Combine(_server.TempPath, "kiosk-1", "agent", "agent.json");
        var before = ReadToken(statePath);

        await _admin.RotateDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1" }, UpdateServerHost.Operator);
        await device.CheckInAsync(); // receives and stores the new credential, then reports with it
        await device.CheckInAsync();
        var rotated = ReadToken(statePath);

        Assert.NotEqual(before, rotated);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(before)));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Empty((await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(rotated))).RotatedDeviceToken);
    }

    private static string ReadToken(string statePath)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(statePath));
        return doc.RootElement.EnumerateObject().Single(p => p.Name.Equals("deviceToken", StringComparison.OrdinalIgnoreCase)).Value.GetString()!;
    }
}
