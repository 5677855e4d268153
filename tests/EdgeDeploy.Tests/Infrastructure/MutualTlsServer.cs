using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.UpdateServer.Fleet;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>One real server per test class (share it with IClassFixture): https on 127.0.0.1, the test CA's server certificate, client certificates required.</summary>
public sealed class MutualTlsServer : IAsyncLifetime
{
    public TempDirectory Temp { get; } = new();

    internal TestPki Pki { get; private set; } = null!;

    public UpdateServerHost Server { get; private set; } = null!;

    public (string Certificate, string Key) Operator { get; private set; }

    public string ServerKeyPath => Path.Combine(Temp.Path, "assignment.pub");

    /// <summary>The certificate SHA-256 bound to a device, or null when the device is not registered.</summary>
    public string? Bound(string deviceId) =>
        Server.Service<FleetDirectory>().FindAsync(deviceId, CancellationToken.None).GetAwaiter().GetResult()?.Record.CertificateSha256;

    public async Task InitializeAsync()
    {
        Pki = TestPki.Create(Path.Combine(Temp.Path, "pki"));
        Operator = Pki.Client("operator");
        Server = await UpdateServerHost.StartAsync(
            settings:
            [
                "--urls", "https://127.0.0.1:0",
                $"--EdgeDeploy:Tls:CertificatePath={Pki.ServerCertificatePath}",
                $"--EdgeDeploy:Tls:KeyPath={Pki.ServerKeyPath}",
                $"--EdgeDeploy:Tls:ClientCaPath={Pki.CaPath}",
                "--EdgeDeploy:Tls:RequireClientCertificate=true",
            ],
            openChannel: address => ServerChannel.Create(address, Pki.CaPath, Operator.Certificate, Operator.Key));
        await File.WriteAllTextAsync(ServerKeyPath, Server.AssignmentPublicKeyPem);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Dispose();
    }
}
