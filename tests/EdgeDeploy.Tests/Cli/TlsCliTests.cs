using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.Tests.UpdateServer.Security;

namespace EdgeDeploy.Tests.Cli;

/// <summary>
/// The AOT `edge` over https:// against the real server with mutual TLS required: operator verbs and `edge agent` with
/// the pinned CA and client certificates work; without the pinned CA, with another CA, or without a client certificate
/// they are refused. One server for the class.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class TlsCliTests(AotArtifacts artifacts, MutualTlsServer fixture) : IClassFixture<MutualTlsServer>
{
    private readonly string _edge = artifacts.RequireEdge();

    [Fact]
    public void EdgeCli_HttpsWithPinnedCaAndClientCertificates_PublishesRollsOutAndAgentInstalls()
    {
        var published = Edge(fixture.Operator, "publish", Repo.Model("iris_classifier.edgepkg"));
        Assert.True(published.ExitCode == 0, published.All);
        Assert.Contains("iris-classifier 1.0.0", published.StdOut);
        var rollout = Edge(fixture.Operator, "rollout", "create", "--model", "iris-classifier", "--version", "1.0.0");
        Assert.True(rollout.ExitCode == 0, rollout.All);

        var device = fixture.Pki.Client("cli-kiosk");
        var agent = Agent("cli-kiosk", device);

        Assert.True(agent.ExitCode == 0, agent.All);
        Assert.Contains("cycle 1: serving 1.0.0", agent.StdOut);
        var devices = Edge(fixture.Operator, "devices");
        Assert.True(devices.ExitCode == 0, devices.All);
        Assert.Contains("cli-kiosk  last seen 20", devices.StdOut);
        Assert.Equal(TlsTests.Thumbprint(device.Certificate), fixture.Bound("cli-kiosk"));
    }

    [Fact]
    public void EdgeCli_WithoutPinnedCaOrWithAnotherCa_RefusesTheServer()
    {
        var systemTrust = ProcessRunner.Run(_edge, ["devices", "--server", fixture.Server.Address.ToString(), "--client-cert", fixture.Operator.Certificate, "--client-key", fixture.Operator.Key],
            TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
        var otherCa = ProcessRunner.Run(_edge, ["devices", "--server", fixture.Server.Address.ToString(), "--ca", fixture.Pki.RogueCaPath, "--client-cert", fixture.Operator.Certificate, "--client-key", fixture.Operator.Key],
            TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });

        // The test CA is in no system store, and the rogue CA did not issue the server's certificate.
        Assert.Equal(2, systemTrust.ExitCode);
        Assert.Contains("The SSL connection could not be established", systemTrust.StdErr);
        Assert.Equal(2, otherCa.ExitCode);
        Assert.Contains("The SSL connection could not be established", otherCa.StdErr);
    }

    [Fact]
    public void EdgeAgent_WithoutClientCertificate_IsRefusedAndExitsNonZero()
    {
        var agent = Agent("no-cert-kiosk", null);

        Assert.Equal(2, agent.ExitCode);
        Assert.Matches("^error: (Unavailable|Internal): ", agent.StdErr); // the handshake is refused: which of the two depends on when the client notices
        Assert.Null(fixture.Bound("no-cert-kiosk"));
    }

    private ProcessResult Edge((string Certificate, string Key) client, params string[] args) =>
        ProcessRunner.Run(_edge, [.. args, "--server", fixture.Server.Address.ToString(), "--ca", fixture.Pki.CaPath, "--client-cert", client.Certificate, "--client-key", client.Key],
            TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });

    private ProcessResult Agent(string deviceId, (string Certificate, string Key)? client)
    {
        var root = Path.Combine(fixture.Temp.Path, deviceId);
        SampleTrust.Create(Path.Combine(root, "trust"));
        string[] tls = client is { } c ? ["--client-cert", c.Certificate, "--client-key", c.Key] : [];
        return ProcessRunner.Run(_edge, [
            "agent", "--server", fixture.Server.Address.ToString(), "--ca", fixture.Pki.CaPath, .. tls, "--device-id", deviceId,
            "--server-key", fixture.ServerKeyPath, "--store", Path.Combine(root, "store"), "--trust", Path.Combine(root, "trust"), "--cycles", "1"],
            TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["EDGE_ENROLLMENT_TOKEN"] = UpdateServerHost.EnrollmentToken });
    }
}
