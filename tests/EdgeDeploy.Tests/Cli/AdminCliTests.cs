using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;

namespace EdgeDeploy.Tests.Cli;

/// <summary>`edge operators`, `edge enrol`, `edge devices remove|reset|rotate` and `edge audit` of the AOT-published `edge` against the real server.</summary>
[Collection(AotCollection.Name)]
public sealed class AdminCliTests : IAsyncLifetime
{
    private readonly string _edge;
    private UpdateServerHost _server = null!;

    public AdminCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AdminFlow_OperatorsEnrolmentDevicesAndAudit_WorkFromTheCliWithRolesEnforced()
    {
        using var temp = new TempDirectory();
        var deployerFile = temp.File("dora.token");
        Assert.StartsWith("dora  deployer  created by operator ", Ok(UpdateServerHost.OperatorToken, "operators", "add", "dora", "--role", "deployer", "--out", deployerFile, "--reason", "on call").StdOut);
        var deployer = File.ReadAllText(deployerFile).Trim();
        Assert.Equal("dora (deployer)", Ok(deployer, "operators", "whoami").StdOut.Trim());

        var enrol = Ok(UpdateServerHost.OperatorToken, "enrol", "create", "--device", "kiosk-1", "--max-uses", "1", "--expires-in", "1h", "--description", "front desk", "--json").StdOut;
        using var created = JsonDocument.Parse(enrol);
        var enrolmentToken = created.RootElement.GetProperty("token").GetString()!;
        var tokenId = created.RootElement.GetProperty("info").GetProperty("id").GetString()!;
        var device = (await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1", EnrollmentToken = enrolmentToken, RuntimeVersion = "0.1.0" })).DeviceToken;
        Assert.Contains($"{tokenId}  uses 1/1  expires ", Ok(UpdateServerHost.OperatorToken, "enrol", "list").StdOut);
        Assert.Contains("device kiosk-1  valid  by operator  front desk", Ok(UpdateServerHost.OperatorToken, "enrol", "list").StdOut);
        Assert.Contains("revoked", Ok(UpdateServerHost.OperatorToken, "enrol", "revoke", tokenId, "--reason", "used").StdOut);

        var denied = Edge(deployer, "devices", "remove", "kiosk-1", "--reason", "try");
        Assert.Equal(2, denied.ExitCode);
        Assert.StartsWith("error: PermissionDenied: Operator dora is a deployer; RemoveDevice needs the admin role. Nothing was changed.", denied.StdErr);
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device)); // untouched

        Assert.StartsWith("kiosk-1: rotation pending", Ok(UpdateServerHost.OperatorToken, "devices", "rotate", "kiosk-1").StdOut);
        Assert.StartsWith("kiosk-1: reset", Ok(UpdateServerHost.OperatorToken, "devices", "reset", "kiosk-1", "--reason", "reimaged").StdOut);
        Assert.StartsWith("kiosk-1: removed", Ok(UpdateServerHost.OperatorToken, "devices", "remove", "kiosk-1", "--reason", "stolen").StdOut);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device)));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("no devices", Ok(deployer, "devices").StdOut.Trim());

        var audit = Ok(deployer, "audit", "--target", "device kiosk-1").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, audit.Length); // newest first: remove, reset, rotate, dora's refused remove, the enrolment token for it
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  operator \(admin\)  RemoveDevice  device kiosk-1  ok  reason: stolen", audit[0]);
        Assert.Contains("dora (deployer)  RemoveDevice  device kiosk-1  PermissionDenied: Operator dora is a deployer;", audit[3]);
        Assert.Contains("operator (admin)  CreateEnrollmentToken  device kiosk-1  ok", audit[4]);
        using var json = JsonDocument.Parse(Ok(deployer, "audit", "--operator", "dora", "--since", "1h", "--json").StdOut);
        var entry = Assert.Single(json.RootElement.GetProperty("entries").EnumerateArray());
        Assert.Equal(("RemoveDevice", "try"), (entry.GetProperty("action").GetString(), entry.GetProperty("reason").GetString()));

        Assert.Contains("dora  deployer  created by operator", Ok(UpdateServerHost.OperatorToken, "operators", "list").StdOut);
        Ok(UpdateServerHost.OperatorToken, "operators", "revoke", "dora");
        var revoked = Edge(deployer, "audit");
        Assert.Equal((2, "error: PermissionDenied: Operator dora's credential was revoked."), (revoked.ExitCode, revoked.StdErr.Trim()));
        Assert.Equal(2, Edge(UpdateServerHost.OperatorToken, "audit", "--since", "yesterday").ExitCode);
    }

    private ProcessResult Ok(string token, params string[] args)
    {
        var run = Edge(token, args);
        Assert.True(run.ExitCode == 0, $"edge {string.Join(' ', args)} failed: {run.All}");
        return run;
    }

    // Tokens travel in the environment, never in argv.
    private ProcessResult Edge(string token, params string[] args) =>
        ProcessRunner.Run(_edge, [.. args, "--server", _server.Address.ToString()], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = token });
}
