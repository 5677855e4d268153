using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>Admin-issued enrolment tokens against the real server: limited uses, expiry, revocation and device binding all hold.</summary>
public sealed class EnrollmentTokenTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private UpdateServerHost _server = null!;
    private AdminService.AdminServiceClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(clock: _clock);
        _admin = new AdminService.AdminServiceClient(_server.Channel);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Register_SharedTokenTurnedOff_OnlyAnAdminIssuedTokenEnrols()
    {
        // EnrollmentToken left empty: the fleet's shared secret (or a guess at it) enrols nothing.
        await using var server = await UpdateServerHost.StartAsync(settings: ["--EdgeDeploy:EnrollmentToken="]);
        foreach (var guess in new[] { UpdateServerHost.EnrollmentToken, string.Empty, " " })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(async () =>
                await server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-9", EnrollmentToken = guess, RuntimeVersion = "0.1.0" }));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        Assert.Empty((await DevicesAsync(server)).Devices);
        var admin = new AdminService.AdminServiceClient(server.Channel);
        var issued = (await admin.CreateEnrollmentTokenAsync(new CreateEnrollmentTokenRequest { DeviceId = "kiosk-9", MaxUses = 1 }, UpdateServerHost.Operator)).Token;
        var device = (await server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-9", EnrollmentToken = issued, RuntimeVersion = "0.1.0" })).DeviceToken;

        await server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device));
        Assert.Equal(["kiosk-9"], (await DevicesAsync(server)).Devices.Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Register_WithAnExhaustedToken_IsRefusedAndNoDeviceIsAdded()
    {
        var token = await CreateAsync(new CreateEnrollmentTokenRequest { MaxUses = 2, Description = "two kiosks" });

        var first = await RegisterAsync("kiosk-1", token);
        var second = await RegisterAsync("kiosk-2", token);
        var third = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-3", token));

        Assert.Equal(StatusCode.ResourceExhausted, third.StatusCode);
        Assert.Equal("The enrollment token has no uses left; ask an admin for a new one (edge enrol create).", third.Status.Detail);
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(first));
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(second));
        Assert.Equal(["kiosk-1", "kiosk-2"], (await DevicesAsync(_server)).Devices.Select(d => d.DeviceId));
        var listed = Assert.Single((await _admin.ListEnrollmentTokensAsync(new ListEnrollmentTokensRequest(), UpdateServerHost.Operator)).Tokens);
        Assert.Equal((2, 2, "two kiosks", "operator"), (listed.Uses, listed.MaxUses, listed.Description, listed.CreatedBy));
    }

    [Fact]
    public async Task Register_WithAnExpiredToken_IsRefusedAndNoDeviceIsAdded()
    {
        var token = await CreateAsync(new CreateEnrollmentTokenRequest { MaxUses = 10, TtlSeconds = 3600 });
        await RegisterAsync("kiosk-1", token);

        _clock.Advance(TimeSpan.FromSeconds(3601));
        var late = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-2", token));

        Assert.Equal((StatusCode.PermissionDenied, "The enrollment token has expired; ask an admin for a new one (edge enrol create)."), (late.StatusCode, late.Status.Detail));
        Assert.Equal(["kiosk-1"], (await DevicesAsync(_server)).Devices.Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Register_WithARevokedToken_IsRefusedAndNoDeviceIsAdded()
    {
        var created = await _admin.CreateEnrollmentTokenAsync(new CreateEnrollmentTokenRequest { MaxUses = 0, TtlSeconds = 0 }, UpdateServerHost.Operator);
        await RegisterAsync("kiosk-1", created.Token);

        var revoked = await _admin.RevokeEnrollmentTokenAsync(new RevokeEnrollmentTokenRequest { Id = created.Info.Id, Reason = "leaked" }, UpdateServerHost.Operator);
        var refused = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-2", created.Token));

        Assert.NotEqual(0, revoked.RevokedUnixMs);
        Assert.Equal((StatusCode.PermissionDenied, "The enrollment token was revoked; ask an admin for a new one (edge enrol create)."), (refused.StatusCode, refused.Status.Detail));
        Assert.Equal(["kiosk-1"], (await DevicesAsync(_server)).Devices.Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Register_WithAPerDeviceTokenForAnotherId_IsRefusedAndTheTokenStillEnrolsItsOwnDevice()
    {
        var token = await CreateAsync(new CreateEnrollmentTokenRequest { DeviceId = "kiosk-7", MaxUses = 1, TtlSeconds = 600 });

        var other = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-8", token));
        var before = await DevicesAsync(_server);
        var own = await RegisterAsync("kiosk-7", token);
        var reuse = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-7b", token));

        Assert.Equal((StatusCode.PermissionDenied, "The enrollment token is issued for another device, not kiosk-8."), (other.StatusCode, other.Status.Detail));
        Assert.Empty(before.Devices);
        Assert.Equal(StatusCode.PermissionDenied, reuse.StatusCode);
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(own));
        Assert.Equal(["kiosk-7"], (await DevicesAsync(_server)).Devices.Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Register_WithAnUnknownToken_IsUnauthenticated_AndTokensAreStoredOnlyHashed()
    {
        var token = await CreateAsync(new CreateEnrollmentTokenRequest { MaxUses = 1 });

        var unknown = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync("kiosk-1", token + "x"));

        Assert.Equal((StatusCode.Unauthenticated, "Invalid enrollment token."), (unknown.StatusCode, unknown.Status.Detail));
        Assert.Empty((await DevicesAsync(_server)).Devices);
        var database = await File.ReadAllBytesAsync(Path.Combine(_server.TempPath, "data", "edgedeploy.db"));
        var wal = Path.Combine(_server.TempPath, "data", "edgedeploy.db-wal");
        var everything = System.Text.Encoding.ASCII.GetString([.. database, .. File.Exists(wal) ? await File.ReadAllBytesAsync(wal) : []]);
        Assert.DoesNotContain(token, everything);
        Assert.Contains(EdgeDeploy.UpdateServer.Api.Auth.HashToken(token), everything);
    }

    private async Task<string> CreateAsync(CreateEnrollmentTokenRequest request) =>
        (await _admin.CreateEnrollmentTokenAsync(request, UpdateServerHost.Operator)).Token;

    private async Task<string> RegisterAsync(string deviceId, string enrollmentToken) =>
        (await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = deviceId, EnrollmentToken = enrollmentToken, RuntimeVersion = "0.1.0" })).DeviceToken;
}
