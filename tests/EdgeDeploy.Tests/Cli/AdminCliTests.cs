using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;

namespace EdgeDeploy.Tests.Cli;

/// <summary>`edge operators`, `edge enrol`, `edge devices remove|reset|rotate` and `edge audit` of the AOT-published `edge` against the real server.</summary>
[Collection(AotCollection.Name)]
public sealed class AdminCliTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{

    [Fact]
    public async Task AdminFlow_OperatorsEnrolmentDevicesAndAudit_WorkFromTheCliWithRolesEnforced()
    {
        using var temp = new TempDirectory();
        var deployerFile = temp.File("dora.token");
        Assert.StartsWith("dora  deployer  created by operator ", Ok("operators", "add", "dora", "--role", "deployer", "--out", deployerFile, "--reason", "on call").StdOut);
        var deployer = File.ReadAllText(deployerFile).Trim();
        Assert.Equal("dora (deployer)", OkAs(deployer, "operators", "whoami").StdOut.Trim());

        var enrol = Ok("enrol", "create", "--device", "kiosk-1", "--max-uses", "1", "--expires-in", "1h", "--description", "front desk", "--json").StdOut;
        using var created = JsonDocument.Parse(enrol);
        var enrolmentToken = created.RootElement.GetProperty("token").GetString()!;
        var tokenId = created.RootElement.GetProperty("info").GetProperty("id").GetString()!;
        var device = (await Server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "kiosk-1", EnrollmentToken = enrolmentToken, RuntimeVersion = "0.1.0" })).DeviceToken;
        Assert.Contains($"{tokenId}  uses 1/1  expires ", Ok("enrol", "list").StdOut);
        Assert.Contains("device kiosk-1  valid  by operator  front desk", Ok("enrol", "list").StdOut);
        Assert.Contains("revoked", Ok("enrol", "revoke", tokenId, "--reason", "used").StdOut);

        var denied = EdgeAs(deployer, "devices", "remove", "kiosk-1", "--reason", "try");
        Assert.Equal(2, denied.ExitCode);
        Assert.StartsWith("error: PermissionDenied: Operator dora is a deployer; RemoveDevice needs the admin role. Nothing was changed.", denied.StdErr);
        await Server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device)); // untouched

        Assert.StartsWith("kiosk-1: rotation pending", Ok("devices", "rotate", "kiosk-1").StdOut);
        Assert.StartsWith("kiosk-1: reset", Ok("devices", "reset", "kiosk-1", "--reason", "reimaged").StdOut);
        Assert.StartsWith("kiosk-1: removed", Ok("devices", "remove", "kiosk-1", "--reason", "stolen").StdOut);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await Server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device)));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("no devices", OkAs(deployer, "devices").StdOut.Trim());

        var audit = OkAs(deployer, "audit", "--target", "device kiosk-1").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, audit.Length); // newest first: remove, reset, rotate, dora's refused remove, the enrolment token for it
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  operator \(admin\)  RemoveDevice  device kiosk-1  ok  reason: stolen", audit[0]);
        Assert.Contains("dora (deployer)  RemoveDevice  device kiosk-1  PermissionDenied: Operator dora is a deployer;", audit[3]);
        Assert.Contains("operator (admin)  CreateEnrollmentToken  device kiosk-1  ok", audit[4]);
        using var json = JsonDocument.Parse(OkAs(deployer, "audit", "--operator", "dora", "--since", "1h", "--json").StdOut);
        var entry = Assert.Single(json.RootElement.GetProperty("entries").EnumerateArray());
        Assert.Equal(("RemoveDevice", "try"), (entry.GetProperty("action").GetString(), entry.GetProperty("reason").GetString()));

        Assert.Contains("dora  deployer  created by operator", Ok("operators", "list").StdOut);
        Ok("operators", "revoke", "dora");
        var revoked = EdgeAs(deployer, "audit");
        Assert.Equal((2, "error: PermissionDenied: Operator dora's credential was revoked."), (revoked.ExitCode, revoked.StdErr.Trim()));
        Assert.Equal(2, Edge("audit", "--since", "yesterday").ExitCode);
    }
}
