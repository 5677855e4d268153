using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>Device takeover and forged identities against the real server: the enrolment token alone cannot re-register an id.</summary>
public sealed class DeviceIdentityTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Register_ExistingIdWithTheEnrollmentTokenOnly_IsRefusedAndTheDeviceKeepsItsCredentialAndTags()
    {
        var token = await _server.RegisterAsync("kiosk-1", "lab");
        var other = await _server.RegisterAsync("kiosk-2", "lab");
        var before = await DevicesAsync(_server);
        var takeover = new RegisterRequest { DeviceId = "kiosk-1", EnrollmentToken = UpdateServerHost.EnrollmentToken, RuntimeVersion = "6.6.6", Tags = { "prod" } };
        takeover.Attributes.Add("region", "attacker");

        var withToken = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(takeover));
        var withOtherDevice = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(takeover, UpdateServerHost.Bearer(other)));
        var after = await DevicesAsync(_server);
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token)); // the real device's credential still works

        Assert.Equal(StatusCode.AlreadyExists, withToken.StatusCode);
        Assert.Equal(
            "Device kiosk-1 is already registered; the enrollment token cannot re-register it. Present its current credential (authorization: Bearer <device token>) to rotate it, or have an operator remove the device.",
            withToken.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, withOtherDevice.StatusCode);
        Assert.Equal("Device kiosk-1 is registered and the presented credential is not its own; nothing was changed.", withOtherDevice.Status.Detail);
        Assert.Equal(before, after);
        var stored = await _server.Service<IUpdateStore>().FindDeviceByTokenHashAsync(EdgeDeploy.UpdateServer.Api.Auth.HashToken(token), CancellationToken.None);
        Assert.Equal(("kiosk-1", "eu", "lab", "0.1.0"), (stored!.DeviceId, stored.Attributes["region"], stored.Tags.Single(), stored.RuntimeVersion));
    }

    [Fact]
    public async Task Register_WithTheCurrentCredential_RotatesAndTheOldTokenWorksUntilTheNewOneIsUsed()
    {
        var old = await _server.RegisterAsync("kiosk-1", "lab");
        var rotation = new RegisterRequest { DeviceId = "kiosk-1", RuntimeVersion = "0.2.0", Tags = { "lab" } };
        rotation.Attributes.Add("region", "eu");

        var rotated = (await _server.Devices.RegisterAsync(rotation, UpdateServerHost.Bearer(old))).DeviceToken;
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)); // no downtime: the answer may have been lost
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(rotated)); // first use retires the old one
        var stale = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(old)));

        Assert.NotEqual(old, rotated);
        Assert.Equal(StatusCode.Unauthenticated, stale.StatusCode);
        var store = _server.Service<IUpdateStore>();
        Assert.Null(await store.FindDeviceByTokenHashAsync(EdgeDeploy.UpdateServer.Api.Auth.HashToken(old), CancellationToken.None)); // retired in storage too
        var device = Assert.Single((await DevicesAsync(_server)).Devices);
        Assert.Equal(("kiosk-1", "0.2.0"), (device.DeviceId, device.RuntimeVersion));
    }

    [Theory]
    [InlineData("kiosk\0admin")]
    [InlineData("kiosk-1\nDevice kiosk-2 registered")]
    [InlineData("../../etc")]
    [InlineData("")]
    public async Task Register_IdWithControlOrPathCharacters_IsRefusedAndNothingIsStored(string id)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(
            new RegisterRequest { DeviceId = id, EnrollmentToken = UpdateServerHost.EnrollmentToken, RuntimeVersion = "0.1.0" }));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("device_id ", ex.Status.Detail);
        Assert.DoesNotContain('\n', ex.Status.Detail);
        Assert.Empty((await DevicesAsync(_server)).Devices);
    }

    [Fact]
    public async Task Register_OversizedOrControlCharacterTagsAndAttributes_AreRefusedAndNothingIsStored()
    {
        static RegisterRequest Request(Action<RegisterRequest> change)
        {
            var request = new RegisterRequest { DeviceId = "kiosk-1", EnrollmentToken = UpdateServerHost.EnrollmentToken, RuntimeVersion = "0.1.0" };
            change(request);
            return request;
        }

        async Task<RpcException> Refused(RegisterRequest request) => await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(request));
        var huge = await Refused(Request(r => r.Attributes.Add("blob", new string('a', 3_900_000))));
        var many = await Refused(Request(r => r.Attributes.Add(Enumerable.Range(0, 65).ToDictionary(i => $"k{i}", i => "v"))));
        var total = await Refused(Request(r => r.Attributes.Add(Enumerable.Range(0, 64).ToDictionary(i => i + new string('€', 250), i => new string('€', 250))))); // 3 bytes each
        var newline = await Refused(Request(r => r.Tags.Add("lab\nprod")));
        var tags = await Refused(Request(r => r.Tags.Add(Enumerable.Range(0, 65).Select(i => $"t{i}"))));

        Assert.All([huge, many, total, newline, tags], ex => Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode));
        Assert.Equal("Device kiosk-1: an attribute value must be 0-256 characters; it has 3900000.", huge.Status.Detail);
        Assert.Equal("Device kiosk-1: at most 64 attributes are accepted; this request has 65.", many.Status.Detail);
        Assert.StartsWith("Device kiosk-1: attributes may total at most 65536 bytes (UTF-8 keys and values); these total ", total.Status.Detail);
        Assert.Equal("Device kiosk-1: a tag holds control character U+000A.", newline.Status.Detail);
        Assert.Equal("Device kiosk-1: at most 64 tags are accepted; this request has 65.", tags.Status.Detail);
        Assert.Empty((await DevicesAsync(_server)).Devices);
    }
}
