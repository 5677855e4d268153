using EdgeDeploy.UpdateServer.Rollouts;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>
/// What every <see cref="IUpdateStore"/> must do, run once per backend by the derived classes
/// (<see cref="SqliteUpdateStoreTests"/>, <see cref="PostgresUpdateStoreTests"/>).
/// </summary>
public abstract partial class UpdateStoreContract : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected IUpdateStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A store on an empty database of the backend under test.</summary>
    protected abstract Task<IUpdateStore> OpenAsync();

    [Fact]
    public async Task Ping_MigratedDatabase_Answers()
    {
        await Store.PingAsync(None); // the readiness check's query: it throws when the database does not answer
    }

    [Fact]
    public async Task Packages_AddGetList_VersionsAreImmutableAndListedByNameThenTime()
    {
        var v1 = new PackageRecord("iris", "1.0.0", "aa", 10, 100, "{}");
        var v2 = new PackageRecord("iris", "2.0.0", "bb", 20, 200, "{\"v\":2}");
        var other = new PackageRecord("Zeta", "1.0.0", "cc", 30, 50, "{}");

        var added = (await Store.TryAddPackageAsync(v2, None), await Store.TryAddPackageAsync(v1, None), await Store.TryAddPackageAsync(other, None));
        var again = await Store.TryAddPackageAsync(v1 with { Sha256 = "dd" }, None);

        Assert.Equal((true, true, true), added);
        Assert.False(again);
        Assert.Equal(v1, await Store.GetPackageAsync("iris", "1.0.0", None));
        Assert.Null(await Store.GetPackageAsync("iris", "3.0.0", None));
        Assert.Equal(v2, await Store.GetPackageBySha256Async("bb", None));
        Assert.Null(await Store.GetPackageBySha256Async("dd", None));
        Assert.Equal([other, v1, v2], await Store.ListPackagesAsync(null, None)); // byte order: 'Z' sorts before 'i'
        Assert.Equal([v1, v2], await Store.ListPackagesAsync("iris", None));
    }

    [Fact]
    public async Task Devices_TryAddTheSameIdTwice_OnlyTheFirstIsStoredAndFoundById()
    {
        var first = new DeviceRecord("d1", "hash-1", new Dictionary<string, string> { ["region"] = "eu" }, ["lab"], "0.1.0", 100, 100) { CertificateSha256 = "cert-1" };

        var added = await Store.TryAddDeviceAsync(first, None);
        var again = await Store.TryAddDeviceAsync(first with { TokenHash = "hash-2", RegisteredUnixMs = 200, LastSeenUnixMs = 200 }, None);
        var found = await Store.FindDeviceAsync("d1", None);

        Assert.Equal((true, false), (added, again));
        Assert.NotNull(found);
        Assert.Equal(("hash-1", "eu", "cert-1", 100L), (found.TokenHash, found.Attributes["region"], found.CertificateSha256, found.RegisteredUnixMs));
        Assert.Equal(["lab"], found.Tags);
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash-2", None));
        Assert.Null(await Store.FindDeviceAsync("d2", None));
    }

    [Fact]
    public async Task Devices_TryReplace_OnlyWhileTheExpectedCredentialIsHeld()
    {
        var reset = new DeviceRecord("d1", "reset:1", new Dictionary<string, string>(), [], "0.1.0", 100, 100);
        await Store.UpsertDeviceAsync(reset, None);
        var enrolled = reset with { TokenHash = "hash-a", Tags = ["kiosk"], RuntimeVersion = "0.2.0", RegisteredUnixMs = 999, LastSeenUnixMs = 300 };

        var first = await Store.TryReplaceDeviceAsync(enrolled, "reset:1", None);
        var second = await Store.TryReplaceDeviceAsync(enrolled with { TokenHash = "hash-b" }, "reset:1", None); // a concurrent re-enrolment, one step late
        var unknown = await Store.TryReplaceDeviceAsync(enrolled with { DeviceId = "d2" }, "reset:1", None);
        var found = await Store.FindDeviceAsync("d1", None);

        Assert.Equal((true, false, false), (first, second, unknown));
        Assert.NotNull(found);
        Assert.Equal(("hash-a", "0.2.0", 100L, 300L), (found.TokenHash, found.RuntimeVersion, found.RegisteredUnixMs, found.LastSeenUnixMs)); // registration time kept
        Assert.Equal(["kiosk"], found.Tags);
        Assert.Null(await Store.FindDeviceAsync("d2", None));
    }

    [Fact]
    public async Task Devices_Reenrolment_ReplacesTheCredentialAndAttributes()
    {
        var device = new DeviceRecord("d1", "hash-1", new Dictionary<string, string> { ["region"] = "eu" }, ["edge", "lab"], "0.1.0", 100, 100);
        await Store.UpsertDeviceAsync(device, None);
        await Store.UpsertDeviceAsync(new DeviceRecord("a0", "hash-0", new Dictionary<string, string>(), [], "0.1.0", 50, 50), None);
        var found = await Store.FindDeviceByTokenHashAsync("hash-1", None);

        await Store.UpsertDeviceAsync(device with { TokenHash = "hash-2", Attributes = new Dictionary<string, string> { ["region"] = "us" }, RegisteredUnixMs = 999, LastSeenUnixMs = 300 }, None);
        var reenrolled = await Store.FindDeviceByTokenHashAsync("hash-2", None);

        Assert.NotNull(found);
        Assert.Equal(("d1", "eu"), (found.DeviceId, found.Attributes["region"]));
        Assert.Equal(["edge", "lab"], found.Tags);
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash-1", None));
        Assert.NotNull(reenrolled);
        Assert.Equal(("us", 100L, 300L), (reenrolled.Attributes["region"], reenrolled.RegisteredUnixMs, reenrolled.LastSeenUnixMs)); // registration time kept
        Assert.Equal(["a0", "d1"], (await Store.ListDevicesAsync(None)).Select(d => d.DeviceId));
    }

    [Fact]
    public async Task Devices_RotatedCredential_FindsTheDeviceByBothUntilThePreviousIsCleared()
    {
        var device = new DeviceRecord("d1", "hash-1", new Dictionary<string, string>(), [], "0.1.0", 100, 100);
        await Store.UpsertDeviceAsync(device, None);
        await Store.UpsertDeviceAsync(device with { TokenHash = "hash-2", PreviousTokenHash = "hash-1" }, None);
        var byNew = await Store.FindDeviceByTokenHashAsync("hash-2", None);
        var byOld = await Store.FindDeviceByTokenHashAsync("hash-1", None);
        var byEmpty = await Store.FindDeviceByTokenHashAsync(string.Empty, None);

        await Store.UpsertDeviceAsync(device with { TokenHash = "hash-2" }, None);

        Assert.Equal(("d1", "hash-2", "hash-1"), (byNew!.DeviceId, byNew.TokenHash, byNew.PreviousTokenHash));
        Assert.Equal("d1", byOld!.DeviceId);
        Assert.Null(byEmpty);
        Assert.Null(await Store.FindDeviceByTokenHashAsync("hash-1", None));
        Assert.Equal(string.Empty, (await Store.FindDeviceByTokenHashAsync("hash-2", None))!.PreviousTokenHash);
    }

    [Fact]
    public async Task Devices_BoundCertificate_IsKeptAcrossUpdatesAndReadBack()
    {
        var device = new DeviceRecord("d1", "hash-1", new Dictionary<string, string>(), [], "0.1.0", 100, 100);
        await Store.UpsertDeviceAsync(device, None);
        var unbound = await Store.FindDeviceByTokenHashAsync("hash-1", None);

        await Store.UpsertDeviceAsync(device with { CertificateSha256 = "ab12" }, None);
        await Store.UpsertDeviceAsync(device with { TokenHash = "hash-2", PreviousTokenHash = "hash-1", CertificateSha256 = "ab12" }, None);

        Assert.Equal(string.Empty, unbound!.CertificateSha256);
        Assert.Equal("ab12", (await Store.FindDeviceByTokenHashAsync("hash-2", None))!.CertificateSha256);
        Assert.Equal("ab12", Assert.Single(await Store.ListDevicesAsync(None)).CertificateSha256);
    }

    [Fact]
    public async Task RecordCheckIns_SeveralPerDevice_KeepLatestSeenTimeAndLastInstalledList()
    {
        await Store.UpsertDeviceAsync(new DeviceRecord("d1", "h1", new Dictionary<string, string>(), [], "0.1.0", 100, 100), None);
        await Store.UpsertDeviceAsync(new DeviceRecord("d2", "h2", new Dictionary<string, string>(), [], "0.1.0", 100, 100), None);
        await Store.RecordCheckInsAsync([new CheckInRecord("d2", 150, [new InstalledVersion("iris", "1.0.0"), new InstalledVersion("wine", "1.0.0")])], None);

        await Store.RecordCheckInsAsync(
        [
            new CheckInRecord("d1", 500, [new InstalledVersion("iris", "1.0.0")]),
            new CheckInRecord("d1", 400, [new InstalledVersion("iris", "2.0.0"), new InstalledVersion("iris", "2.1.0")]), // late arrival: seen time stays 500
            new CheckInRecord("d2", 200, [new InstalledVersion("iris", "2.0.0")]),
        ], None);
        await Store.RecordCheckInsAsync([], None);

        var devices = (await Store.ListDevicesAsync(None)).ToDictionary(d => d.DeviceId, d => d.LastSeenUnixMs);
        var installed = await Store.GetAllInstalledAsync(None);
        Assert.Equal(new Dictionary<string, long> { ["d1"] = 500, ["d2"] = 200 }, devices);
        Assert.Equal([new InstalledVersion("iris", "2.1.0")], installed["d1"]);
        Assert.Equal([new InstalledVersion("iris", "2.0.0")], installed["d2"]); // the wine model is gone from d2's list
    }

    [Fact]
    public async Task Rollouts_RoundTripEveryFieldAndListNewestFirst()
    {
        var gates = new RolloutGates(0.9, 0.02, 250, 0.01, 10, 5, 60, 120, FailOnAlerts: true);
        var staged = new RolloutRecord("r1", "iris", "2.0.0", RolloutStrategy.Canary, 10, new Dictionary<string, string> { ["region"] = "eu" }, ["lab"], RolloutState.Active, 1000)
        {
            Stages = [1, 10, 100],
            Gates = gates,
            OnFailure = 2,
            Arms = [new ArmRecord("2.0.0", 0.5), new ArmRecord("2.1.0", 0.5)],
            CurrentStage = 1,
            StageStartedUnixMs = 1500,
            StateReason = "stage 1",
            BaselineVersion = "1.0.0",
        };
        var plain = new RolloutRecord("r2", "iris", "3.0.0", RolloutStrategy.AllAtOnce, 100, new Dictionary<string, string>(), [], RolloutState.RolledBack, 2000);
        var sameTime = new RolloutRecord("r3", "wine", "1.0.0", RolloutStrategy.AllAtOnce, 100, new Dictionary<string, string>(), [], RolloutState.Completed, 2000);
        await Store.AddRolloutAsync(staged, None);
        await Store.AddRolloutAsync(plain, None);
        await Store.AddRolloutAsync(sameTime, None);

        var read = await Store.GetRolloutAsync("r1", None);
        await Store.UpdateRolloutProgressAsync(staged with { State = RolloutState.Paused, CurrentStage = 2, StageStartedUnixMs = 1800, StateReason = "gate failed", Arms = [new ArmRecord("2.0.0", 1)] }, None);
        var updated = await Store.GetRolloutAsync("r1", None);

        Assert.NotNull(read);
        Assert.Equal((staged.Model, staged.Version, staged.Strategy, staged.CanaryPercent, staged.State, staged.CreatedUnixMs), (read.Model, read.Version, read.Strategy, read.CanaryPercent, read.State, read.CreatedUnixMs));
        Assert.Equal(staged.TargetAttributes, read.TargetAttributes);
        Assert.Equal(staged.TargetTags, read.TargetTags);
        Assert.Equal(staged.Stages, read.Stages);
        Assert.Equal(gates, read.Gates);
        Assert.Equal(staged.Arms, read.Arms);
        Assert.Equal((2, 1, 1500L, "stage 1", "1.0.0"), (read.OnFailure, read.CurrentStage, read.StageStartedUnixMs, read.StateReason, read.BaselineVersion));
        Assert.NotNull(updated);
        Assert.Equal((RolloutState.Paused, 2, 1800L, "gate failed"), (updated.State, updated.CurrentStage, updated.StageStartedUnixMs, updated.StateReason));
        Assert.Equal([new ArmRecord("2.0.0", 1)], updated.Arms);
        Assert.Equal(staged.Stages, updated.Stages); // fixed at creation
        Assert.Equal(RolloutGates.Default, (await Store.GetRolloutAsync("r2", None))!.Gates);
        Assert.Null(await Store.GetRolloutAsync("missing", None));
        Assert.Equal(["r3", "r2", "r1"], (await Store.ListRolloutsAsync(null, None)).Select(r => r.Id)); // same time: the later one first
        Assert.Equal(["r2", "r1"], (await Store.ListRolloutsAsync("iris", None)).Select(r => r.Id));
        Assert.Equal(["r3", "r1"], (await Store.ListLiveRolloutsAsync(None)).Select(r => r.Id)); // rolled back: not followed
    }

    [Fact]
    public async Task InstallReports_LatestPerDeviceOfTheRollout()
    {
        await Store.AddInstallReportAsync(new InstallReportRecord("d1", "r1", "iris", "2.0.0", false, "hash mismatch", 100), None);
        await Store.AddInstallReportAsync(new InstallReportRecord("d1", "r1", "iris", "2.0.0", true, string.Empty, 200, """{"loadBytes":"1024","peakBytes":"4096","deviceClass":"rpi4"}"""), None);
        await Store.AddInstallReportAsync(new InstallReportRecord("d2", "r1", "iris", "2.0.0", false, "disk full", 150), None);
        await Store.AddInstallReportAsync(new InstallReportRecord("d1", "r2", "iris", "3.0.0", false, "other rollout", 300), None);

        var latest = await Store.GetLatestInstallReportsAsync("r1", None);

        Assert.Equal(2, latest.Count);
        Assert.Equal(new InstallReportRecord("d1", "r1", "iris", "2.0.0", true, string.Empty, 200, """{"loadBytes":"1024","peakBytes":"4096","deviceClass":"rpi4"}"""), latest["d1"]);
        Assert.Equal(new InstallReportRecord("d2", "r1", "iris", "2.0.0", false, "disk full", 150), latest["d2"]);
        Assert.Empty(await Store.GetLatestInstallReportsAsync("r9", None));
    }

    [Fact]
    public async Task SumHealth_AddsReportsOfTheVersionInTheHalfOpenWindow()
    {
        var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
        buckets[0] = 3;
        buckets[^1] = 1;
        await Store.AddHealthAsync(
        [
            new HealthRecord("d1", "iris", "2.0.0", false, 1000, 10, 1, buckets, 4, 3, 1.5),
            new HealthRecord("d2", "iris", "2.0.0", false, 1999, 20, 2, buckets, 6, 5, 0.5),
            new HealthRecord("d1", "iris", "2.0.0", false, 2000, 99, 99, buckets, 99, 99, 99), // at the end: outside
            new HealthRecord("d1", "iris", "2.0.0", false, 999, 99, 99, buckets, 99, 99, 99),  // before: outside
            new HealthRecord("d1", "iris", "2.0.0", true, 1500, 7, 0, [1, 2], 0, 0, 0),        // shadow: summed apart
            new HealthRecord("d1", "iris", "1.0.0", false, 1500, 99, 99, buckets, 99, 99, 99),
        ], None);
        await Store.AddHealthAsync([], None);

        var served = await Store.SumHealthAsync("iris", "2.0.0", false, 1000, 2000, None);
        var shadow = await Store.SumHealthAsync("iris", "2.0.0", true, 0, long.MaxValue, None);

        Assert.Equal((30L, 3L, 10L, 8L, 2.0), (served.Requests, served.Errors, served.GroundTruth, served.Correct, served.AbsErrorSum));
        Assert.Equal(6, served.LatencyBuckets[0]);
        Assert.Equal(2, served.LatencyBuckets[^1]);
        Assert.Equal(EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount, shadow.LatencyBuckets.Length);
        Assert.Equal((7L, 1L, 2L), (shadow.Requests, shadow.LatencyBuckets[0], shadow.LatencyBuckets[1])); // a shorter histogram adds where both reach
    }

    [Fact]
    public async Task SumHealthAndDrift_WholeHoursFromHourlyRollups_SameSumsAsTheReports()
    {
        const long Hour = 3_600_000;
        var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
        buckets[1] = 2;
        await Store.AddHealthAsync([new HealthRecord("d1", "iris", "2.0.0", false, 100, 10, 1, buckets, 4, 3, 1.5), new HealthRecord("d2", "iris", "2.0.0", false, Hour + 5, 20, 2, buckets, 6, 5, 0.5)], None);
        await Store.AddHealthAsync([new HealthRecord("d3", "iris", "2.0.0", false, 200, 5, 0, [0, 1], 1, 1, 0), new HealthRecord("d3", "iris", "2.0.0", true, 300, 99, 99, buckets, 99, 99, 99)], None); // adds to hour 0's row
        await Store.AddDriftAsync([new DriftRecord("d1", "iris", "2.0.0", 100, "petal", [1, 2, 3], 1), new DriftRecord("d2", "iris", "2.0.0", Hour + 1, "petal", [10, 20, 30], 0)], None);
        await Store.AddDriftAsync([new DriftRecord("d3", "iris", "2.0.0", 200, "petal", [100, 200, 300], 2), new DriftRecord("d3", "iris", "2.0.0", Hour + 250, "petal", [7, 7], 0)], None); // another layout, later: left out

        var whole = await Store.SumHealthAsync("iris", "2.0.0", false, 0, 2 * Hour, None);      // two whole hours: hourly rows only
        var mixed = await Store.SumHealthAsync("iris", "2.0.0", false, 50, long.MaxValue, None); // partial hour 0 read from the reports
        var drift = await Store.SumDriftAsync("iris", "2.0.0", 0, 2 * Hour, None);
        var driftMixed = await Store.SumDriftAsync("iris", "2.0.0", 50, (2 * Hour) - 1, None);

        Assert.Equal((35L, 3L, 11L, 9L, 2.0), (whole.Requests, whole.Errors, whole.GroundTruth, whole.Correct, whole.AbsErrorSum));
        Assert.Equal((5L, 0L), (whole.LatencyBuckets[1], whole.LatencyBuckets[0]));
        Assert.Equal((whole.Requests, whole.Errors, whole.GroundTruth, whole.Correct, whole.AbsErrorSum), (mixed.Requests, mixed.Errors, mixed.GroundTruth, mixed.Correct, mixed.AbsErrorSum));
        Assert.Equal(whole.LatencyBuckets, mixed.LatencyBuckets);
        Assert.Equal([111L, 222L, 333L], drift["petal"].Counts);
        Assert.Equal(3L, drift["petal"].Missing);
        Assert.Equal(drift["petal"].Counts, driftMixed["petal"].Counts);
    }

    [Fact]
    public async Task PruneHealth_CutoffInsideAnHour_HourlyRollupsKeepOnlyWhatRetentionKept()
    {
        const long Hour = 3_600_000;
        var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
        await Store.AddHealthAsync([new HealthRecord("d1", "iris", "2.0.0", false, 1000, 10, 1, buckets, 0, 0, 0), new HealthRecord("d1", "iris", "2.0.0", false, 3_000_000, 20, 2, buckets, 0, 0, 0)], None);
        await Store.AddDriftAsync([new DriftRecord("d1", "iris", "2.0.0", 1000, "petal", [1, 1], 0), new DriftRecord("d1", "iris", "2.0.0", 3_000_000, "petal", [2, 2], 0)], None);

        await Store.PruneHealthAsync(2_000_000, None);
        var partial = await Store.SumHealthAsync("iris", "2.0.0", false, 0, Hour, None);
        var partialDrift = await Store.SumDriftAsync("iris", "2.0.0", 0, Hour, None);
        await Store.PruneHealthAsync(Hour, None);
        var whole = await Store.SumHealthAsync("iris", "2.0.0", false, 0, Hour, None);

        Assert.Equal((20L, 2L), (partial.Requests, partial.Errors));
        Assert.Equal([2L, 2L], partialDrift["petal"].Counts);
        Assert.Equal(0L, whole.Requests);
        Assert.Empty(await Store.SumDriftAsync("iris", "2.0.0", 0, Hour, None));
    }

    [Fact]
    public async Task ListDeviceHealth_OneDevicesReportsSinceNewestFirstUpToTheLimit()
    {
        var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
        buckets[3] = 5;
        await Store.AddHealthAsync(
        [
            new HealthRecord("d1", "iris", "2.0.0", false, 1000, 10, 1, buckets, 4, 3, 1.5),
            new HealthRecord("d1", "iris", "1.0.0", true, 3000, 7, 0, buckets, 0, 0, 0),
            new HealthRecord("d1", "iris", "2.0.0", false, 2000, 20, 2, buckets, 6, 5, 0.5),
            new HealthRecord("d2", "iris", "2.0.0", false, 2500, 99, 99, buckets, 99, 99, 99), // another device
            new HealthRecord("d1", "iris", "2.0.0", false, 500, 99, 99, buckets, 99, 99, 99),  // before since
        ], None);

        var all = await Store.ListDeviceHealthAsync("d1", 1000, 10, None);
        var newest = await Store.ListDeviceHealthAsync("d1", 1000, 2, None);

        Assert.Equal([3000L, 2000L, 1000L], all.Select(h => h.AtUnixMs));
        Assert.Equal(("1.0.0", true, 7L), (all[0].Version, all[0].Shadow, all[0].Requests));
        Assert.Equal((20L, 2L, 6L, 5L, 0.5, 5L), (all[1].Requests, all[1].Errors, all[1].GroundTruth, all[1].Correct, all[1].AbsErrorSum, all[1].LatencyBuckets[3]));
        Assert.Equal([3000L, 2000L], newest.Select(h => h.AtUnixMs));
        Assert.Empty(await Store.ListDeviceHealthAsync("d9", 0, 10, None));
    }

    [Fact]
    public async Task RolloutEvents_AppendAndListTheNewestOldestFirstPerRollout()
    {
        await Store.AddRolloutEventAsync(new RolloutEventRecord("ro-1", 1000, "alice", "created", "active", 0, "staged to 10%, 100%", []), None);
        await Store.AddRolloutEventAsync(new RolloutEventRecord("ro-2", 1500, "bob", "created", "active", 0, "bandit", [new ArmRecord("1.0.0", 0.5), new ArmRecord("2.0.0", 0.5)]), None);
        await Store.AddRolloutEventAsync(new RolloutEventRecord("ro-1", 2000, "controller", "advanced", "active", 1, "stage 1 held (error rate 0.00% on 40 requests)", []), None);
        await Store.AddRolloutEventAsync(new RolloutEventRecord("ro-2", 2500, "controller", "reweighted", "active", 0, "arm weights", [new ArmRecord("1.0.0", 0.25), new ArmRecord("2.0.0", 0.75)]), None);
        await Store.AddRolloutEventAsync(new RolloutEventRecord("ro-1", 3000, "alice", "paused", "paused", 1, "checking a dashboard", []), None);

        var one = await Store.ListRolloutEventsAsync("ro-1", 10, None);
        var newestTwo = await Store.ListRolloutEventsAsync("ro-1", 2, None);
        var bandit = await Store.ListRolloutEventsAsync("ro-2", 10, None);

        Assert.Equal(["created", "advanced", "paused"], one.Select(e => e.Action));
        Assert.Equal(new RolloutEventRecord("ro-1", 2000, "controller", "advanced", "active", 1, "stage 1 held (error rate 0.00% on 40 requests)", []) with { Arms = one[1].Arms }, one[1]);
        Assert.Empty(one[1].Arms);
        Assert.Equal(["advanced", "paused"], newestTwo.Select(e => e.Action));
        Assert.Equal([new ArmRecord("1.0.0", 0.25), new ArmRecord("2.0.0", 0.75)], bandit[1].Arms);
        Assert.Empty(await Store.ListRolloutEventsAsync("ro-9", 10, None));
    }

    [Fact]
    public async Task SumDrift_AddsCountsPerNameWithinTheWindow()
    {
        await Store.AddDriftAsync(
        [
            new DriftRecord("d1", "iris", "2.0.0", 1000, "petal_length", [1, 2, 3], 1),
            new DriftRecord("d2", "iris", "2.0.0", 1500, "petal_length", [10, 20, 30], 2),
            new DriftRecord("d3", "iris", "2.0.0", 1600, "petal_length", [5, 5], 9),          // another layout: cannot be merged
            new DriftRecord("d1", "iris", "2.0.0", 1500, "output", [4, 0], 0),
            new DriftRecord("d1", "iris", "2.0.0", 999, "petal_length", [100, 100, 100], 100), // before the time
            new DriftRecord("d1", "iris", "1.0.0", 1500, "petal_length", [100, 100, 100], 100),
        ], None);

        var sums = await Store.SumDriftAsync("iris", "2.0.0", 1000, long.MaxValue, None);

        Assert.Equal(2, sums.Count);
        Assert.Equal([11L, 22, 33], sums["petal_length"].Counts);
        Assert.Equal(3, sums["petal_length"].Missing);
        Assert.Equal([4L, 0], sums["output"].Counts);
        Assert.Equal(0, sums["output"].Missing);
        Assert.Empty(await Store.SumDriftAsync("iris", "9.9.9", 0, long.MaxValue, None));
        var before1500 = await Store.SumDriftAsync("iris", "2.0.0", 1000, 1500, None); // until is exclusive
        Assert.Equal([1L, 2, 3], before1500["petal_length"].Counts);
    }

    [Fact]
    public async Task AlertRulesAndAlerts_DeletingARuleResolvesItsOpenAlerts()
    {
        var rule = new AlertRuleRecord("rule-b", "iris", "*", "error_rate", string.Empty, false, 0.05, 300, 20);
        var other = new AlertRuleRecord("rule-a", "iris", "2.0.0", "psi", "petal_length", true, 0.2, 600, 100);
        await Store.AddAlertRuleAsync(rule, None);
        await Store.AddAlertRuleAsync(other, None);
        await Store.AddAlertAsync(new AlertRecord("alert-1", "rule-b", "iris", "2.0.0", "error_rate", 0.1, 0.05, 1000, null, "high"), [], None);
        await Store.AddAlertAsync(new AlertRecord("alert-2", "rule-a", "iris", "2.0.0", "psi", 0.1, 0.2, 2000, null, "drift"), [], None);
        await Store.AddAlertAsync(new AlertRecord("alert-3", "rule-a", "iris", "2.0.0", "psi", 0.1, 0.2, 3000, null, "drift again"), [], None);

        Assert.Equal([other, rule], await Store.ListAlertRulesAsync(None));
        await Store.ResolveAlertAsync("alert-3", 3500, [], None);
        await Store.ResolveAlertAsync("alert-3", 9999, [], None); // already resolved: keeps its time
        var deleted = await Store.DeleteAlertRuleAsync("rule-b", 4000, None);
        var missing = await Store.DeleteAlertRuleAsync("rule-b", 5000, None);

        Assert.Equal((true, false), (deleted, missing));
        Assert.Equal([other], await Store.ListAlertRulesAsync(None));
        Assert.Equal(["alert-2"], (await Store.ListAlertsAsync(false, None)).Select(a => a.Id));
        var all = await Store.ListAlertsAsync(true, None);
        Assert.Equal(["alert-3", "alert-2", "alert-1"], all.Select(a => a.Id)); // newest first
        Assert.Equal(new AlertRecord("alert-3", "rule-a", "iris", "2.0.0", "psi", 0.1, 0.2, 3000, 3500, "drift again"), all[0]);
        Assert.Equal(4000, all[2].ResolvedUnixMs);
    }

    [Fact]
    public async Task ChangeVersions_RolloutPackageAndDeviceWrites_BumpTheirCounterAndCheckInsDoNot()
    {
        var device = new DeviceRecord("d1", "hash-1", new Dictionary<string, string>(), [], "0.1.0", 100, 100);
        var rollout = new RolloutRecord("r1", "iris", "2.0.0", RolloutStrategy.AllAtOnce, 100, new Dictionary<string, string>(), [], RolloutState.Active, 1000);
        var start = await Store.GetChangeVersionsAsync(None);

        await Store.TryAddPackageAsync(new PackageRecord("iris", "2.0.0", "aa", 10, 100, "{}"), None);
        var afterPackage = await Store.GetChangeVersionsAsync(None);
        await Store.AddRolloutAsync(rollout, None);
        var afterCreate = await Store.GetChangeVersionsAsync(None);
        await Store.UpdateRolloutProgressAsync(rollout with { State = RolloutState.Paused }, None);
        var afterPause = await Store.GetChangeVersionsAsync(None);
        await Store.UpsertDeviceAsync(device, None);
        var afterRegister = await Store.GetChangeVersionsAsync(None);
        await Store.RecordCheckInsAsync([new CheckInRecord("d1", 500, [new InstalledVersion("iris", "2.0.0")])], None);
        await Store.AddInstallReportAsync(new InstallReportRecord("d1", "r1", "iris", "2.0.0", true, string.Empty, 600), None);
        var afterCheckIn = await Store.GetChangeVersionsAsync(None);
        await Store.UpsertDeviceAsync(device with { Tags = ["lab"] }, None);
        var afterRetag = await Store.GetChangeVersionsAsync(None);

        Assert.True(afterPackage.Rollouts > start.Rollouts);
        Assert.True(afterCreate.Rollouts > afterPackage.Rollouts);
        Assert.True(afterPause.Rollouts > afterCreate.Rollouts);
        Assert.Equal(start.Devices, afterPause.Devices); // rollout and package writes leave the device counter alone
        Assert.True(afterRegister.Devices > afterPause.Devices);
        Assert.Equal(afterRegister, afterCheckIn); // check-ins and reports change no cache
        Assert.True(afterRetag.Devices > afterCheckIn.Devices);
        Assert.Equal(afterCheckIn.Rollouts, afterRetag.Rollouts);
    }

    [Fact]
    public async Task PruneHealth_DeletesHealthAndDriftBeforeTheCutoffOnly()
    {
        long[] buckets = [1, 0];
        await Store.AddHealthAsync(
        [
            new HealthRecord("d1", "iris", "2.0.0", false, 1000, 10, 1, buckets, 4, 3, 1.5),
            new HealthRecord("d1", "iris", "2.0.0", false, 1999, 20, 2, buckets, 6, 5, 0.5),
            new HealthRecord("d2", "iris", "2.0.0", false, 2000, 7, 0, buckets, 1, 1, 0),
        ], None);
        await Store.AddDriftAsync(
        [
            new DriftRecord("d1", "iris", "2.0.0", 1500, "petal_length", [1, 2], 1),
            new DriftRecord("d2", "iris", "2.0.0", 2500, "petal_length", [10, 20], 2),
        ], None);

        var deleted = await Store.PruneHealthAsync(2000, None);
        var again = await Store.PruneHealthAsync(2000, None);

        Assert.Equal((3L, 0L), (deleted, again));
        var health = await Store.SumHealthAsync("iris", "2.0.0", false, 0, long.MaxValue, None);
        Assert.Equal((7L, 0L), (health.Requests, health.Errors)); // the report at the cutoff stays
        var drift = await Store.SumDriftAsync("iris", "2.0.0", 0, long.MaxValue, None);
        Assert.Equal([10L, 20L], drift["petal_length"].Counts);
        Assert.Equal(2L, drift["petal_length"].Missing);
    }

    [Fact]
    public async Task HealthRowsPerHour_CountsHealthAndDriftTogetherPerHour()
    {
        long[] buckets = [1, 0];
        await Store.AddHealthAsync(
        [
            new HealthRecord("d1", "iris", "2.0.0", false, 1000, 10, 1, buckets, 4, 3, 1.5),
            new HealthRecord("d2", "iris", "2.0.0", false, 3_600_000 + 5, 7, 0, buckets, 1, 1, 0),
        ], None);
        await Store.AddDriftAsync([new DriftRecord("d1", "iris", "2.0.0", 1500, "petal_length", [1, 2], 1)], None);

        var hours = await Store.HealthRowsPerHourAsync(None);

        Assert.Equal([new HourCount(0, 2), new HourCount(3_600_000, 1)], hours.OrderBy(h => h.HourStartUnixMs));
    }
}
