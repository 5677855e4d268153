using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Api;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>Operator roles against the real server: each role can do what its rank allows and nothing more, and every mutating call is audited.</summary>
public sealed class OperatorRolesTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private AdminService.AdminServiceClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await StartWithIrisVersionsAsync();
        _admin = new AdminService.AdminServiceClient(_server.Channel);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void OperatorRpcs_EveryOperatorServiceMethod_DeclaresARoleAndNothingElseIsDeclared()
    {
        var methods = new[] { RegistryService.Descriptor, AdminService.Descriptor }
            .SelectMany(s => s.Methods.Select(m => $"/{s.FullName}/{m.Name}"))
            .ToHashSet(StringComparer.Ordinal);

        var undeclared = methods.Where(m => !Auth.OperatorRpcs.ContainsKey(m)).ToList();
        var stale = Auth.OperatorRpcs.Keys.Where(k => !methods.Contains(k)).ToList();

        Assert.True(undeclared.Count == 0, "RPCs without a declared operator role (add them to Auth.OperatorRpcs): " + string.Join(", ", undeclared));
        Assert.True(stale.Count == 0, "Auth.OperatorRpcs names RPCs that do not exist: " + string.Join(", ", stale));
        Assert.All(Auth.OperatorRpcs.Where(kv => kv.Value.Mutates), kv => Assert.NotNull(kv.Value.Target)); // every audited call names its target
        Assert.All(
            Auth.OperatorRpcs.Where(kv => kv.Key.Split('/')[^1] is var name && (name.StartsWith("List", StringComparison.Ordinal) || name.StartsWith("Get", StringComparison.Ordinal))),
            kv => Assert.False(kv.Value.Mutates, kv.Key + " reads, so it should not be declared mutating"));
    }

    [Fact]
    public async Task PauseAndRollback_AsViewer_ArePermissionDeniedNothingChangesAndTheAttemptIsAudited()
    {
        var viewer = await OperatorAsync("vera", "viewer");
        await RegisterAsync(_server, "kiosk", 2, "lab");
        var rollout = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "2.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 100 } });
        var before = await RolloutsAsync(_server);

        var pause = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.PauseRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "vera was here" }, UpdateServerHost.Bearer(viewer)));
        var rollback = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.RollbackRolloutAsync(new RolloutActionRequest { Id = rollout.Id }, UpdateServerHost.Bearer(viewer)));
        var promote = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.PromoteRolloutAsync(new RolloutActionRequest { Id = rollout.Id }, UpdateServerHost.Bearer(viewer)));
        var create = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = Model, Version = "3.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Bearer(viewer)));
        var publish = await Assert.ThrowsAsync<RpcException>(() => _server.PublishAsync(SamplePackages.Iris("4.0.0", "iris_classifier_v2"), UpdateServerHost.Bearer(viewer)));

        Assert.All([pause, rollback, promote, create, publish], ex => Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode));
        Assert.Equal("Operator vera is a viewer; PauseRollout needs the deployer role. Nothing was changed.", pause.Status.Detail);
        Assert.Equal(before, await RolloutsAsync(_server)); // state, stage, reason: all as they were
        Assert.DoesNotContain((await _server.Registry.ListVersionsAsync(new ListVersionsRequest { Model = Model }, UpdateServerHost.Operator)).Versions, v => v.Version == "4.0.0");

        // What a viewer may do, it can.
        Assert.Equal(before, await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Bearer(viewer)));
        Assert.Equal(2, (await _server.Registry.ListDevicesAsync(new ListDevicesRequest(), UpdateServerHost.Bearer(viewer))).Devices.Count);
        var audit = await _admin.ListAuditAsync(new ListAuditRequest { Operator = "vera" }, UpdateServerHost.Bearer(viewer));
        Assert.Equal(["PublishPackage", "CreateRollout", "PromoteRollout", "RollbackRollout", "PauseRollout"], audit.Entries.Select(e => e.Action));
        Assert.All(audit.Entries, e => Assert.StartsWith("PermissionDenied: Operator vera is a viewer;", e.Outcome));
        var paused = audit.Entries.Single(e => e.Action == "PauseRollout");
        Assert.Equal(("viewer", "rollout " + rollout.Id, "vera was here"), (paused.Role, paused.Target, paused.Reason));
    }

    [Fact]
    public async Task RemoveResetRotateDevice_AsDeployer_ArePermissionDeniedAndTheDeviceKeepsItsCredential()
    {
        var deployer = await OperatorAsync("dora", "deployer");
        var device = await _server.RegisterAsync("kiosk-1", "lab");
        var before = await DevicesAsync(_server);

        var attempts = new List<RpcException>();
        foreach (var call in new Func<DeviceActionRequest, Metadata, AsyncUnaryCall<DeviceActionResponse>>[] { (r, m) => _admin.RemoveDeviceAsync(r, m), (r, m) => _admin.ResetDeviceAsync(r, m), (r, m) => _admin.RotateDeviceAsync(r, m) })
        {
            attempts.Add(await Assert.ThrowsAsync<RpcException>(async () => await call(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "cleanup" }, UpdateServerHost.Bearer(deployer))));
        }

        var enrol = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateEnrollmentTokenAsync(new CreateEnrollmentTokenRequest { MaxUses = 100 }, UpdateServerHost.Bearer(deployer)));
        var escalate = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "dora2", Role = "admin" }, UpdateServerHost.Bearer(deployer)));
        var check = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(device)); // still works

        Assert.All([.. attempts, enrol, escalate], ex => Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode));
        Assert.Equal("Operator dora is a deployer; RemoveDevice needs the admin role. Nothing was changed.", attempts[0].Status.Detail);
        Assert.Empty(check.RotatedDeviceToken);
        Assert.Equal(before.Devices.Single().DeviceId, (await DevicesAsync(_server)).Devices.Single().DeviceId);
        Assert.Empty((await _admin.ListEnrollmentTokensAsync(new ListEnrollmentTokensRequest(), UpdateServerHost.Operator)).Tokens);
        Assert.Equal(["dora"], (await _admin.ListOperatorsAsync(new ListOperatorsRequest(), UpdateServerHost.Operator)).Operators.Select(o => o.Name));
        var audit = await _admin.ListAuditAsync(new ListAuditRequest { Target = "device kiosk-1" }, UpdateServerHost.Operator);
        Assert.Equal(["RotateDevice", "ResetDevice", "RemoveDevice"], audit.Entries.Select(e => e.Action));
        Assert.All(audit.Entries, e => Assert.Equal(("dora", "cleanup"), (e.Operator, e.Reason)));
    }

    [Fact]
    public async Task MutatingCalls_ByNamedOperators_AreAuditedWithNameTargetReasonAndOutcome()
    {
        var deployer = await OperatorAsync("dora", "deployer");
        var admin = await OperatorAsync("ada", "admin");
        await RegisterAsync(_server, "kiosk", 2, "lab");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();

        await _server.PublishAsync(SamplePackages.Iris("4.0.0", "iris_classifier_v2"), UpdateServerHost.Bearer(deployer));
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = Model, Version = "4.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 100 } }, UpdateServerHost.Bearer(deployer));
        var paused = await _server.Registry.PauseRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "night freeze" }, UpdateServerHost.Bearer(deployer));
        await _server.Registry.ResumeRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "morning" }, UpdateServerHost.Bearer(deployer));
        var resumeAgain = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.ResumeRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "twice" }, UpdateServerHost.Bearer(deployer)));
        var rolledBack = await _server.Registry.RollbackRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "errors on kiosks" }, UpdateServerHost.Bearer(deployer));
        var rule = await _server.Registry.CreateAlertRuleAsync(new AlertRule { Model = Model, Metric = "error_rate", Threshold = 0.1 }, UpdateServerHost.Bearer(deployer));
        await _server.Registry.DeleteAlertRuleAsync(new DeleteAlertRuleRequest { Id = rule.Id }, UpdateServerHost.Bearer(deployer));
        var token = await _admin.CreateEnrollmentTokenAsync(new CreateEnrollmentTokenRequest { DeviceId = "kiosk-9", MaxUses = 1, TtlSeconds = 3600, Reason = "new kiosk" }, UpdateServerHost.Bearer(admin));
        await _admin.RevokeEnrollmentTokenAsync(new RevokeEnrollmentTokenRequest { Id = token.Info.Id, Reason = "kiosk cancelled" }, UpdateServerHost.Bearer(admin));
        await _admin.RotateDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "yearly" }, UpdateServerHost.Bearer(admin));
        await _admin.ResetDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1", Reason = "reimaged" }, UpdateServerHost.Bearer(admin));
        await _admin.RemoveDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-0", Reason = "stolen" }, UpdateServerHost.Bearer(admin));
        await _admin.RevokeOperatorAsync(new RevokeOperatorRequest { Name = "dora", Reason = "left the team" }, UpdateServerHost.Bearer(admin));

        var entries = (await _admin.ListAuditAsync(new ListAuditRequest { SinceUnixMs = since }, UpdateServerHost.Bearer(admin))).Entries.Reverse()
            .Where(e => e.Operator != "operator") // the fixture's set-up
            .Select(e => (e.Operator, e.Action, e.Target, e.Reason, e.Outcome.Split(':')[0]))
            .ToList();

        Assert.Equal(
            [
                ("dora", "PublishPackage", "package iris-classifier 4.0.0", string.Empty, "ok"),
                ("dora", "CreateRollout", "model iris-classifier 4.0.0", string.Empty, "ok"),
                ("dora", "PauseRollout", "rollout " + rollout.Id, "night freeze", "ok"),
                ("dora", "ResumeRollout", "rollout " + rollout.Id, "morning", "ok"),
                ("dora", "ResumeRollout", "rollout " + rollout.Id, "twice", "FailedPrecondition"),
                ("dora", "RollbackRollout", "rollout " + rollout.Id, "errors on kiosks", "ok"),
                ("dora", "CreateAlertRule", "model iris-classifier", string.Empty, "ok"),
                ("dora", "DeleteAlertRule", "alert-rule " + rule.Id, string.Empty, "ok"),
                ("ada", "CreateEnrollmentToken", "device kiosk-9", "new kiosk", "ok"),
                ("ada", "RevokeEnrollmentToken", "enrollment-token " + token.Info.Id, "kiosk cancelled", "ok"),
                ("ada", "RotateDevice", "device kiosk-1", "yearly", "ok"),
                ("ada", "ResetDevice", "device kiosk-1", "reimaged", "ok"),
                ("ada", "RemoveDevice", "device kiosk-0", "stolen", "ok"),
                ("ada", "RevokeOperator", "operator dora", "left the team", "ok"),
            ],
            entries);
        Assert.Equal(StatusCode.FailedPrecondition, resumeAgain.StatusCode);
        Assert.Equal("paused by dora: night freeze", paused.StateReason); // the rollout itself names who changed it
        Assert.Equal("rolled back by dora: errors on kiosks", rolledBack.StateReason);
        var revoked = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Bearer(deployer)));
        Assert.Equal((StatusCode.PermissionDenied, "Operator dora's credential was revoked."), (revoked.StatusCode, revoked.Status.Detail));
    }

    [Fact]
    public async Task OperatorCalls_WithADeviceCredentialOrNoToken_AreRefusedAndNotAudited()
    {
        var device = await _server.RegisterAsync("kiosk-1", "lab");

        var asDevice = await Assert.ThrowsAsync<RpcException>(async () => await _admin.RemoveDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-1" }, UpdateServerHost.Bearer(device)));
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "mallory", Role = "admin" }));
        var sharedName = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "operator", Role = "admin" }, UpdateServerHost.Operator));

        Assert.Equal(StatusCode.PermissionDenied, asDevice.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, sharedName.StatusCode);
        Assert.Single((await DevicesAsync(_server)).Devices);
        Assert.Empty((await _admin.ListOperatorsAsync(new ListOperatorsRequest(), UpdateServerHost.Operator)).Operators);
        var audit = (await _admin.ListAuditAsync(new ListAuditRequest(), UpdateServerHost.Operator)).Entries;
        var only = Assert.Single(audit, e => e.Action != "PublishPackage"); // the shared token's refused attempt, nothing from the device or the anonymous caller
        Assert.Equal(("operator", "admin", "CreateOperator", "operator operator"), (only.Operator, only.Role, only.Action, only.Target));
        var me = await _admin.WhoAmIAsync(new WhoAmIRequest(), UpdateServerHost.Operator);
        Assert.Equal(("operator", "admin"), (me.Name, me.Role));
    }

    private async Task<string> OperatorAsync(string name, string role) =>
        (await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = name, Role = role }, UpdateServerHost.Operator)).Token;
}
