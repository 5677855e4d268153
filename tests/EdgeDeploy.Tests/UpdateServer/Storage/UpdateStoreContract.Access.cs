using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The <see cref="IAccessStore"/> part of the update store contract: operators, audit log, enrolment tokens, device removal, rotations.</summary>
public abstract partial class UpdateStoreContract
{
    [Fact]
    public async Task Operators_AddFindListRevoke_NamesAreUniqueAndRevocationIsKept()
    {
        var alice = new OperatorRecord("alice", "deployer", "hash-a", "operator", 100, null);
        var bob = new OperatorRecord("Bob", "viewer", "hash-b", "alice", 200, null);

        var added = (await Store.TryAddOperatorAsync(alice, CancellationToken.None), await Store.TryAddOperatorAsync(bob, CancellationToken.None));
        var again = await Store.TryAddOperatorAsync(alice with { TokenHash = "hash-c", Role = "admin" }, CancellationToken.None);
        var revoked = await Store.RevokeOperatorAsync("alice", 300, CancellationToken.None);
        var revokedTwice = await Store.RevokeOperatorAsync("alice", 400, CancellationToken.None);

        Assert.Equal((true, true, false, true, false), (added.Item1, added.Item2, again, revoked, revokedTwice));
        Assert.False(await Store.RevokeOperatorAsync("nobody", 300, CancellationToken.None));
        Assert.Equal(alice with { RevokedUnixMs = 300 }, await Store.FindOperatorByTokenHashAsync("hash-a", CancellationToken.None));
        Assert.Equal(bob, await Store.FindOperatorByTokenHashAsync("hash-b", CancellationToken.None));
        Assert.Null(await Store.FindOperatorByTokenHashAsync("hash-c", CancellationToken.None));
        Assert.Equal(["Bob", "alice"], (await Store.ListOperatorsAsync(CancellationToken.None)).Select(o => o.Name)); // byte order
    }

    [Fact]
    public async Task Audit_AppendAndQuery_NewestFirstFilteredBySinceOperatorAndTarget()
    {
        await Store.AppendAuditAsync(new AuditRecord(0, 100, "alice", "deployer", "PauseRollout", "rollout r-1", "maintenance", "ok"), CancellationToken.None);
        await Store.AppendAuditAsync(new AuditRecord(0, 200, "bob", "viewer", "RollbackRollout", "rollout r-1", string.Empty, "PermissionDenied: no"), CancellationToken.None);
        await Store.AppendAuditAsync(new AuditRecord(0, 300, "alice", "deployer", "ResumeRollout", "rollout r-2", "done", "ok"), CancellationToken.None);

        var all = await Store.ListAuditAsync(new AuditQuery(0, string.Empty, string.Empty, 100), CancellationToken.None);
        var alices = await Store.ListAuditAsync(new AuditQuery(0, "alice", string.Empty, 100), CancellationToken.None);
        var r1 = await Store.ListAuditAsync(new AuditQuery(0, string.Empty, "rollout r-1", 100), CancellationToken.None);
        var recent = await Store.ListAuditAsync(new AuditQuery(200, string.Empty, string.Empty, 100), CancellationToken.None);
        var newest = await Store.ListAuditAsync(new AuditQuery(0, string.Empty, string.Empty, 1), CancellationToken.None);

        Assert.Equal(["ResumeRollout", "RollbackRollout", "PauseRollout"], all.Select(e => e.Action));
        Assert.True(all[0].Id > all[1].Id && all[1].Id > all[2].Id);
        Assert.Equal(new AuditRecord(all[2].Id, 100, "alice", "deployer", "PauseRollout", "rollout r-1", "maintenance", "ok"), all[2]);
        Assert.Equal([300L, 100L], alices.Select(e => e.AtUnixMs));
        Assert.Equal(["bob", "alice"], r1.Select(e => e.Operator));
        Assert.Equal([300L, 200L], recent.Select(e => e.AtUnixMs));
        Assert.Equal("ResumeRollout", Assert.Single(newest).Action);
    }

    [Fact]
    public async Task EnrollmentTokens_TryUse_CountsUsesAndRefusesExhaustedExpiredRevokedAndOtherDevices()
    {
        var twice = new EnrollmentTokenRecord("et-1", "h1", "lab", string.Empty, 2, 0, 0, "alice", 100, null);
        var expiring = new EnrollmentTokenRecord("et-2", "h2", string.Empty, string.Empty, 0, 0, 1_000, "alice", 110, null);
        var kiosk = new EnrollmentTokenRecord("et-3", "h3", string.Empty, "kiosk-1", 1, 0, 0, "alice", 120, null);
        foreach (var t in new[] { twice, expiring, kiosk })
        {
            await Store.AddEnrollmentTokenAsync(t, CancellationToken.None);
        }

        var uses = new List<EnrollmentUse>
        {
            await Store.TryUseEnrollmentTokenAsync("h1", "a", 500, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h1", "b", 500, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h1", "c", 500, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h2", "a", 999, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h2", "a", 1_000, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h3", "kiosk-2", 500, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("h3", "kiosk-1", 500, CancellationToken.None),
            await Store.TryUseEnrollmentTokenAsync("nope", "a", 500, CancellationToken.None),
        };
        var revoked = await Store.RevokeEnrollmentTokenAsync("et-2", 600, CancellationToken.None);
        uses.Add(await Store.TryUseEnrollmentTokenAsync("h2", "a", 700, CancellationToken.None));

        Assert.Equal(
            [EnrollmentUse.Accepted, EnrollmentUse.Accepted, EnrollmentUse.Exhausted, EnrollmentUse.Accepted, EnrollmentUse.Expired, EnrollmentUse.OtherDevice, EnrollmentUse.Accepted, EnrollmentUse.Unknown, EnrollmentUse.Revoked],
            uses);
        Assert.True(revoked);
        Assert.False(await Store.RevokeEnrollmentTokenAsync("et-2", 700, CancellationToken.None));
        var listed = await Store.ListEnrollmentTokensAsync(CancellationToken.None);
        Assert.Equal([twice with { Uses = 2 }, expiring with { Uses = 1, RevokedUnixMs = 600 }, kiosk with { Uses = 1 }], listed);
    }

    [Fact]
    public async Task EnrollmentTokens_ConcurrentUses_NeverExceedMaxUses()
    {
        await Store.AddEnrollmentTokenAsync(new EnrollmentTokenRecord("et-1", "h1", string.Empty, string.Empty, 5, 0, 0, "alice", 100, null), CancellationToken.None);

        var uses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => Store.TryUseEnrollmentTokenAsync("h1", "d" + i, 500, CancellationToken.None))));

        Assert.Equal(5, uses.Count(u => u == EnrollmentUse.Accepted));
        Assert.Equal(15, uses.Count(u => u == EnrollmentUse.Exhausted));
        Assert.Equal(5, Assert.Single(await Store.ListEnrollmentTokensAsync(CancellationToken.None)).Uses);
    }

    [Fact]
    public async Task Devices_Delete_RemovesTheDeviceItsCredentialInstalledVersionsAndRotation()
    {
        await Store.UpsertDeviceAsync(new DeviceRecord("d1", "hash-1", new Dictionary<string, string>(), [], "0.1.0", 100, 100), CancellationToken.None);
        await Store.UpsertDeviceAsync(new DeviceRecord("d2", "hash-2", new Dictionary<string, string>(), [], "0.1.0", 100, 100), CancellationToken.None);
        await Store.RecordCheckInsAsync([new CheckInRecord("d1", 200, [new InstalledVersion("iris", "1.0.0")])], CancellationToken.None);
        await Store.AddPendingRotationAsync("d1", 150, CancellationToken.None);
        await Store.AddPendingRotationAsync("d2", 150, CancellationToken.None);

        var deleted = await Store.DeleteDeviceAsync("d1", CancellationToken.None);
        var again = await Store.DeleteDeviceAsync("d1", CancellationToken.None);

        Assert.Equal((true, false), (deleted, again));
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash-1", CancellationToken.None));
        Assert.Equal(["d2"], (await Store.ListDevicesAsync(CancellationToken.None)).Select(d => d.DeviceId));
        Assert.False((await Store.GetAllInstalledAsync(CancellationToken.None)).ContainsKey("d1"));
        Assert.Equal(["d2"], await Store.ListPendingRotationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Rotations_AddTwiceAndRemove_AreIdempotent()
    {
        await Store.AddPendingRotationAsync("d1", 100, CancellationToken.None);
        await Store.AddPendingRotationAsync("d1", 200, CancellationToken.None);
        await Store.AddPendingRotationAsync("a0", 200, CancellationToken.None);
        var listed = await Store.ListPendingRotationsAsync(CancellationToken.None);

        await Store.RemovePendingRotationAsync("d1", CancellationToken.None);
        await Store.RemovePendingRotationAsync("d1", CancellationToken.None);

        Assert.Equal(["a0", "d1"], listed);
        Assert.Equal(["a0"], await Store.ListPendingRotationsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task PendingDevices_AddFindListTake_EachIsTakenOnce()
    {
        var kiosk = new PendingDeviceRecord("kiosk-1", "hash-1", new Dictionary<string, string> { ["region"] = "eu" }, ["lab"], "0.1.0", 200);
        var added = await Store.TryAddPendingDeviceAsync(kiosk, CancellationToken.None);
        var twice = await Store.TryAddPendingDeviceAsync(kiosk with { TokenHash = "hash-2" }, CancellationToken.None);
        await Store.TryAddPendingDeviceAsync(new PendingDeviceRecord("a0", "hash-0", new Dictionary<string, string>(), [], "0.1.0", 100), CancellationToken.None);

        var found = await Store.FindPendingDeviceByTokenHashAsync("hash-1", CancellationToken.None);
        var listed = await Store.ListPendingDevicesAsync(CancellationToken.None);
        var taken = await Store.TakePendingDeviceAsync("kiosk-1", CancellationToken.None);
        var takenAgain = await Store.TakePendingDeviceAsync("kiosk-1", CancellationToken.None);

        Assert.Equal((true, false), (added, twice));
        Assert.Equal(("kiosk-1", "eu", "lab", 200L), (found!.DeviceId, found.Attributes["region"], found.Tags.Single(), found.RequestedUnixMs));
        Assert.Null(await Store.FindPendingDeviceByTokenHashAsync("hash-2", CancellationToken.None));
        Assert.Equal(["a0", "kiosk-1"], listed.Select(d => d.DeviceId)); // oldest first
        Assert.Equal(("kiosk-1", "hash-1"), (taken!.DeviceId, taken.TokenHash));
        Assert.Null(takenAgain);
        Assert.Null(await Store.FindPendingDeviceByTokenHashAsync("hash-1", CancellationToken.None));
        Assert.Equal(["a0"], (await Store.ListPendingDevicesAsync(CancellationToken.None)).Select(d => d.DeviceId));
    }
}
