using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Fleet;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>
/// The real server over TLS with mutual TLS required (a throwaway BCL-made CA), attacked with raw gRPC clients built by
/// the agent's own channel factory: another device's certificate, no certificate, a certificate from another CA; and a
/// cleartext start on a non-loopback address. One server for the class (the CLI side is Cli/TlsCliTests).
/// </summary>
public sealed class TlsTests(MutualTlsServer fixture) : IClassFixture<MutualTlsServer>
{

    [Fact]
    public async Task Device_PresentingAnotherDevicesCertificate_IsRefusedAndNothingChanges()
    {
        var certA = fixture.Pki.Client("attack-a");
        var certB = fixture.Pki.Client("attack-b");
        using var asA = Channel(certA);
        using var asB = Channel(certB);
        var tokenA = await RegisterAsync(asA, "attack-a");
        var tokenB = await RegisterAsync(asB, "attack-b");
        var before = fixture.Server.Service<FleetDirectory>();
        var recordB = (await before.FindAsync("attack-b", CancellationToken.None))!.Record;
        var devicesBefore = (await before.AllAsync(CancellationToken.None)).Count;

        // B's credential over A's certificate: check-in, telemetry, and a re-registration (rotation) are refused.
        var checkIn = await Assert.ThrowsAsync<RpcException>(() => new DeviceService.DeviceServiceClient(asA).CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(tokenB)).ResponseAsync);
        var rotate = await Assert.ThrowsAsync<RpcException>(() => new DeviceService.DeviceServiceClient(asA).RegisterAsync(
            new RegisterRequest { DeviceId = "attack-b", RuntimeVersion = "0.1.0" }, UpdateServerHost.Bearer(tokenB)).ResponseAsync);
        var telemetry = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(asA, tokenB));

        // A's certificate enrolling a new device id: one certificate is one device.
        var enrolAnother = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(asA, "attack-c"));

        Assert.Equal(StatusCode.PermissionDenied, checkIn.StatusCode);
        Assert.Contains("not the one bound to device attack-b", checkIn.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, rotate.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, telemetry.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, enrolAnother.StatusCode);
        var after = fixture.Server.Service<FleetDirectory>();
        Assert.Equal(recordB, (await after.FindAsync("attack-b", CancellationToken.None))!.Record);
        Assert.Null(await after.FindAsync("attack-c", CancellationToken.None));
        Assert.Equal(devicesBefore, (await after.AllAsync(CancellationToken.None)).Count);
        Assert.Equal(Thumbprint(certB.Certificate), fixture.Bound("attack-b"));

        // Each device's own pair still works.
        await new DeviceService.DeviceServiceClient(asB).CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(tokenB));
        await new DeviceService.DeviceServiceClient(asA).CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(tokenA));
    }

    [Fact]
    public async Task Connection_WithoutClientCertificateOrFromAnotherCa_IsRefusedAtTls()
    {
        using var none = Channel(null);
        using var rogue = Channel(fixture.Pki.RogueClient);

        var noCertificate = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(none, "sneaky-1"));
        var rogueCertificate = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(rogue, "sneaky-2"));

        // The server ends the handshake; the client sees it as Unavailable or Internal depending on when it notices.
        Assert.Contains(noCertificate.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Contains(rogueCertificate.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Null(fixture.Bound("sneaky-1"));
        Assert.Null(fixture.Bound("sneaky-2"));
    }

    [Fact]
    public async Task Start_CleartextOnNonLoopbackAddress_IsRefusedUnlessAllowed()
    {
        using var temp = new TempDirectory();
        var trust = temp.File("trust");
        SampleTrust.Create(trust);
        string[] settings =
        [
            "--urls", "http://0.0.0.0:0",
            "--Logging:LogLevel:Default=None",
            $"--EdgeDeploy:DataDirectory={temp.File("data")}",
            $"--EdgeDeploy:TrustDirectory={trust}",
            "--EdgeDeploy:OperatorToken=x",
            "--EdgeDeploy:EnrollmentToken=y",
        ];
        await using var app = EdgeDeploy.UpdateServer.UpdateServerApp.Build(settings);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith("Refusing to serve cleartext on http://0.0.0.0:0", refused.Message);
        Assert.Contains("EdgeDeploy:AllowInsecure=true", refused.Message);
        Assert.True(EdgeDeploy.UpdateServer.Security.CleartextGuard.IsCleartextOffLoopback("http://[::]:5000"));
        Assert.False(EdgeDeploy.UpdateServer.Security.CleartextGuard.IsCleartextOffLoopback("http://[::1]:5000"));
        Assert.False(EdgeDeploy.UpdateServer.Security.CleartextGuard.IsCleartextOffLoopback("http://localhost:5000"));
        Assert.False(EdgeDeploy.UpdateServer.Security.CleartextGuard.IsCleartextOffLoopback("https://0.0.0.0:5001"));
    }

    [Fact]
    public void Build_RequireClientCertificateWithoutClientCa_FailsWithTheSettingNamed()
    {
        var refused = Assert.Throws<ArgumentException>(() => EdgeDeploy.UpdateServer.UpdateServerApp.Build(["--EdgeDeploy:Tls:RequireClientCertificate=true"]));

        Assert.Contains("EdgeDeploy:Tls:RequireClientCertificate needs EdgeDeploy:Tls:ClientCaPath", refused.Message);
    }

    internal static string Thumbprint(string certificatePem)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePem));
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    private static async Task IngestAsync(GrpcChannel channel, string token)
    {
        using var call = new TelemetryService.TelemetryServiceClient(channel).Ingest(UpdateServerHost.Bearer(token), deadline: DateTime.UtcNow.AddSeconds(20));
        try
        {
            await call.RequestStream.WriteAsync(new TelemetryBatch { BatchId = "b1" });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // refused before reading: the status is in the response
        }

        await call;
    }

    private static async Task<string> RegisterAsync(GrpcChannel channel, string deviceId) =>
        (await new DeviceService.DeviceServiceClient(channel).RegisterAsync(
            new RegisterRequest { DeviceId = deviceId, EnrollmentToken = UpdateServerHost.EnrollmentToken, RuntimeVersion = "0.1.0" },
            deadline: DateTime.UtcNow.AddSeconds(20))).DeviceToken;

    private GrpcChannel Channel((string Certificate, string Key)? client) =>
        ServerChannel.Create(fixture.Server.Address, fixture.Pki.CaPath, client?.Certificate, client?.Key);
}
