using System.Diagnostics;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Fleet;
using static EdgeDeploy.Tests.Infrastructure.TelemetryFixture;

namespace EdgeDeploy.Tests.UpdateServer.Replicas;

/// <summary>
/// Two real server replicas on one PostgreSQL database (the shared test cluster), devices talking to either: changes made
/// through one reach devices at the other within the documented bound (2 s), exactly one replica leads, and a batch or an
/// install report sent to both is stored or counted once.
/// </summary>
public sealed class ReplicaTests : IAsyncLifetime
{
    /// <summary>
    /// The documented propagation bound (README, docs/architecture.md), plus slack for a loaded 2-core CI machine: two
    /// servers, PostgreSQL and an AOT publish beside them share two cores there, and 2 s of slack was once not enough. A
    /// replica that never hears of a change still fails (after 15 s), as does one that waits for a timeout or a TTL.
    /// </summary>
    private static readonly TimeSpan PropagationBound = TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(6);

    private UpdateServerHost _a = null!;
    private UpdateServerHost _b = null!;
    private readonly List<UpdateServerHost> _stopped = [];
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresCluster.CreateDatabaseAsync();
        _a = await UpdateServerHost.StartAsync(database: _database);
        _b = await UpdateServerHost.StartAsync(database: _database, assignmentKey: _a.AssignmentKeyPath);
        await _a.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _a, _b }.Except(_stopped))
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rollout_CreatedAtOneReplicaRolledBackAtTheOther_ReachesDevicesAtEitherWithinTheBound()
    {
        var atB = await _b.RegisterAsync("sensor-b");
        var atA = await _a.RegisterAsync("sensor-a");
        var before = await VersionsAsync(_b, atB); // B has planned (and signed) an answer without the rollout

        var created = await _a.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var seenAtB = await TimeUntilAsync(async () => (await VersionsAsync(_b, atB)).Contains("1.0.0"));
        var seenAtA = await VersionsAsync(_a, atA);
        await _b.Registry.RollbackRolloutAsync(new RolloutActionRequest { Id = created.Id, Reason = "test" }, UpdateServerHost.Operator);
        var goneAtA = await TimeUntilAsync(async () => (await VersionsAsync(_a, atA)).Count == 0);

        Assert.Empty(before);
        Assert.Contains("1.0.0", seenAtA); // the replica that made the change answers at once
        Assert.True(seenAtB < PropagationBound, $"created at A, seen at B after {seenAtB.TotalMilliseconds:F0} ms");
        Assert.True(goneAtA < PropagationBound, $"rolled back at B, gone at A after {goneAtA.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task CheckIn_SteadyFleetRegisteredAtTheOtherReplica_ReusesTheSignedAnswer()
    {
        // Devices enrolled at A check in at B: once B has seen them and the other replica's changes, nothing changes,
        // so B answers from its cache (the same signature bytes: ECDSA signatures differ every time they are made).
        await _a.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var tokens = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            tokens.Add(await _a.RegisterAsync($"sensor-{i}"));
        }

        foreach (var server in new[] { _a, _b })
        {
            await server.Service<StoreChangeWatcher>().PollAsync(CancellationToken.None);
        }

        var first = new List<Google.Protobuf.ByteString>();
        foreach (var token in tokens)
        {
            first.Add((await _b.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token))).Signature);
        }

        await Task.Delay(2500); // two change polls and leadership ticks with nothing changed
        var again = new List<Google.Protobuf.ByteString>();
        foreach (var token in tokens)
        {
            again.Add((await _b.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token))).Signature);
        }

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task Pause_AtOneReplica_StopsTheStagedRolloutTheOtherLeads()
    {
        // Four devices, stage one reaches two of them; once paused (at B) the leader, wherever it is, does not advance it.
        var tokens = new List<(UpdateServerHost Server, string Token)>();
        for (var i = 0; i < 4; i++)
        {
            var server = i % 2 == 0 ? _a : _b;
            tokens.Add((server, await server.RegisterAsync($"sensor-{i}")));
        }

        var staged = await _a.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 100 } }, UpdateServerHost.Operator);
        await _b.Registry.PauseRolloutAsync(new RolloutActionRequest { Id = staged.Id }, UpdateServerHost.Operator);
        foreach (var server in new[] { _a, _b })
        {
            await server.Service<StoreChangeWatcher>().PollAsync(CancellationToken.None); // what the next poll would do, now
        }

        var members = 0;
        foreach (var (server, token) in tokens)
        {
            if ((await VersionsAsync(server, token)).Contains("1.0.0"))
            {
                members++;
                await server.Devices.ReportInstallAsync(new InstallReport { RolloutId = staged.Id, Model = "iris-classifier", Version = "1.0.0", Success = true }, UpdateServerHost.Bearer(token));
            }
        }

        await Leader().EvaluateRolloutsAsync(); // stage one passed its gates: only the pause holds it
        var paused = await _a.Registry.GetRolloutAsync(new GetRolloutRequest { Id = staged.Id }, UpdateServerHost.Operator);
        await _a.Registry.ResumeRolloutAsync(new RolloutActionRequest { Id = staged.Id }, UpdateServerHost.Operator);
        await Leader().EvaluateRolloutsAsync();
        var resumed = await _b.Registry.GetRolloutAsync(new GetRolloutRequest { Id = staged.Id }, UpdateServerHost.Operator);

        Assert.Equal(2, members);
        Assert.Equal(("paused", 50.0), (paused.State, paused.CurrentPercent));
        Assert.Equal(("active", 100.0), (resumed.State, resumed.CurrentPercent));
    }

    [Fact]
    public async Task Leadership_TwoReplicas_ExactlyOneLeadsAndTheOtherTakesOverWhenItStops()
    {
        await Poll.UntilAsync(() => Leaders() == 1, () => "no single leader", TimeSpan.FromSeconds(10));
        var first = _a.Service<ILeaderElection>().IsLeader ? _a : _b;
        var other = first == _a ? _b : _a;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, Leaders()); // stays one across ticks
            await Task.Delay(400);
        }

        await first.DisposeAsync(); // stops cleanly and resigns: the other takes over at its next check
        _stopped.Add(first);
        var tookOver = await TimeUntilAsync(() => Task.FromResult(other.Service<ILeaderElection>().IsLeader));

        Assert.True(tookOver < PropagationBound, $"took over after {tookOver.TotalMilliseconds:F0} ms");
        Assert.True(other.Service<ILeaderElection>().Replicated);
    }

    [Fact]
    public async Task Leadership_LeaderLosesItsLockConnection_StepsDownAndExactlyOneLeadsAgain()
    {
        await Poll.UntilAsync(() => Leaders() == 1, () => "no single leader", TimeSpan.FromSeconds(10));
        var leader = Leader();

        // The database ends the leader's lock session (as a network cut or a failover of PostgreSQL would).
        await using (var admin = new Npgsql.NpgsqlConnection(_database))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'edgedeploy-leader' AND pid <> pg_backend_pid();",
                admin);
            var terminated = (long)(await kill.ExecuteScalarAsync())!;
            Assert.InRange(terminated, 1, 2); // the leader's session (and the follower's, which holds no lock, once it has tried)
        }

        var steppedDown = await TimeUntilAsync(() => Task.FromResult(!leader.Service<ILeaderElection>().IsLeader));
        var oneAgain = await TimeUntilAsync(() => Task.FromResult(Leaders() == 1));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, Leaders());
            await Task.Delay(400);
        }

        Assert.True(steppedDown < PropagationBound, $"stepped down after {steppedDown.TotalMilliseconds:F0} ms");
        Assert.True(oneAgain < PropagationBound + PropagationBound, $"one leader again after {oneAgain.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Telemetry_BatchSentToOneReplicaThenResentToTheOther_IsStoredOnce()
    {
        var token = await _a.RegisterAsync("sensor-1");
        await _a.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        await TimeUntilAsync(async () => (await VersionsAsync(_b, token)).Contains("1.0.0")); // both replicas entitle the device
        var batch = Batch("1-3", Prediction(100, label: 0), Prediction(200, label: 1), GroundTruth(0));

        var first = await IngestAsync(_a, UpdateServerHost.Bearer(token), batch);
        var resent = await IngestAsync(_b, UpdateServerHost.Bearer(token), batch); // the acknowledgement from A was lost

        Assert.Equal((3L, 0), (first.RecordsStored, first.DuplicateBatches));
        Assert.Equal((0L, 1), (resent.RecordsStored, resent.DuplicateBatches));
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 2, 1), _b.TelemetryStore.Count());
    }

    [Fact]
    public async Task InstallReport_SentToBothReplicas_IsCountedOnce()
    {
        var token = await _a.RegisterAsync("sensor-1");
        var rollout = await _a.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        await TimeUntilAsync(async () => (await VersionsAsync(_b, token)).Contains("1.0.0"));
        var report = new InstallReport { RolloutId = rollout.Id, Model = "iris-classifier", Version = "1.0.0", Success = true };

        await _a.Devices.ReportInstallAsync(report, UpdateServerHost.Bearer(token));
        await _b.Devices.ReportInstallAsync(report, UpdateServerHost.Bearer(token)); // resent after a lost answer
        var status = await _b.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);

        Assert.Equal((1, 1, 0), (status.TargetedDevices, status.InstalledDevices, status.FailedDevices));
    }

    [Fact]
    public async Task RemoveAndRotate_AtOneReplica_TakeEffectAtTheOtherWithinTheBound()
    {
        // An admin acting at A must not leave a stolen credential working at B, and a rotation asked at A is handed out
        // by B when the device checks in there.
        var removed = await _b.RegisterAsync("stolen-b");
        var rotated = await _b.RegisterAsync("kiosk-b");
        Assert.NotNull(await VersionsAsync(_b, removed)); // B knows both devices now
        var admin = new AdminService.AdminServiceClient(_a.Channel);

        await admin.RemoveDeviceAsync(new DeviceActionRequest { DeviceId = "stolen-b", Reason = "stolen" }, UpdateServerHost.Operator);
        var refusedAtB = await TimeUntilAsync(async () =>
        {
            try
            {
                await VersionsAsync(_b, removed);
                return false;
            }
            catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Unauthenticated)
            {
                return true;
            }
        });

        // At once, though A's change poll may not have brought kiosk-b yet: A reads a device it does not know through to the store.
        await admin.RotateDeviceAsync(new DeviceActionRequest { DeviceId = "kiosk-b", Reason = "scheduled" }, UpdateServerHost.Operator);
        var newToken = string.Empty;
        var handedOutAtB = await TimeUntilAsync(async () =>
        {
            newToken = (await _b.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(rotated))).RotatedDeviceToken;
            return newToken.Length > 0;
        });

        Assert.True(refusedAtB < PropagationBound, $"removed at A, still accepted at B for {refusedAtB.TotalMilliseconds:F0} ms");
        Assert.True(handedOutAtB < PropagationBound, $"rotation asked at A, handed out at B after {handedOutAtB.TotalMilliseconds:F0} ms");
        Assert.NotNull(await VersionsAsync(_b, newToken)); // the new credential works
    }

    [Fact]
    public async Task Register_SameNewIdAtBothReplicasAtOnce_ExactlyOneWinsAndItsCredentialStays()
    {
        // The attack: someone holding the fleet's shared enrolment token races a new device's first registration at
        // the other replica, to replace its credential with one they hold. Neither replica knows the id yet.
        var attempts = Enumerable.Range(0, 8).Select(i => TryRegisterAsync(i % 2 == 0 ? _a : _b, "twin-1")).ToList();
        var outcomes = await Task.WhenAll(attempts);

        var winner = Assert.Single(outcomes, o => o.Token is not null).Token!;
        Assert.All(outcomes.Where(o => o.Token is null), o => Assert.Equal(Grpc.Core.StatusCode.AlreadyExists, o.Refused));
        Assert.NotNull(await VersionsAsync(_a, winner));
        Assert.NotNull(await VersionsAsync(_b, winner));

        // The same race for a device an admin reset (it may enrol again): one re-enrolment replaces the reset record.
        await new AdminService.AdminServiceClient(_a.Channel).ResetDeviceAsync(new DeviceActionRequest { DeviceId = "twin-1", Reason = "reinstalled" }, UpdateServerHost.Operator);
        var again = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => TryRegisterAsync(i % 2 == 0 ? _a : _b, "twin-1")));
        var reenrolled = Assert.Single(again, o => o.Token is not null).Token!;
        Assert.All(again.Where(o => o.Token is null), o => Assert.Equal(Grpc.Core.StatusCode.AlreadyExists, o.Refused));
        Assert.NotNull(await VersionsAsync(_a, reenrolled));

        // Straight after, at the replica that did not take it: refused too, and the winner's credential is unchanged.
        var first = await _a.RegisterAsync("twin-2");
        var late = await TryRegisterAsync(_b, "twin-2");
        Assert.Equal((null, Grpc.Core.StatusCode.AlreadyExists), late);
        Assert.NotNull(await VersionsAsync(_b, first));
    }

    private static async Task<(string? Token, Grpc.Core.StatusCode Refused)> TryRegisterAsync(UpdateServerHost server, string deviceId)
    {
        try
        {
            return (await server.RegisterAsync(deviceId), Grpc.Core.StatusCode.OK);
        }
        catch (Grpc.Core.RpcException ex)
        {
            return (null, ex.StatusCode);
        }
    }

    private int Leaders() => (_a.Service<ILeaderElection>().IsLeader ? 1 : 0) + (_b.Service<ILeaderElection>().IsLeader ? 1 : 0);

    private UpdateServerHost Leader() => _a.Service<ILeaderElection>().IsLeader ? _a : _b;

    private static async Task<List<string>> VersionsAsync(UpdateServerHost server, string token)
    {
        var response = await server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token), deadline: DateTime.UtcNow.AddSeconds(10));
        return [.. Assignment.Parser.ParseFrom(response.Assignment).Versions.Select(v => v.Version)];
    }

    private static async Task<TimeSpan> TimeUntilAsync(Func<Task<bool>> condition) =>
        await TimeUntilOrNullAsync(condition, TimeSpan.FromSeconds(15)) ?? throw new TimeoutException("not within 15 s");

    private static async Task<TimeSpan?> TimeUntilOrNullAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition())
            {
                return watch.Elapsed;
            }

            await Task.Delay(25);
        }

        return null;
    }
}
