using System.Security.Cryptography;
using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.Tests.UpdateServer;
using EdgeDeploy.UpdateServer.Fleet;

namespace EdgeDeploy.Tests.Device.Agent;

/// <summary>
/// Issue 11, agent hardening: a stolen assignment key (the real server's signer signs the attacker's assignment) must
/// not let the server side write, read or delete outside the agent's state directory, nor roll a device back by
/// replaying an older, still unexpired assignment. Real agent, real store, real server on 127.0.0.1.
/// </summary>
public sealed class AgentHardeningTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("sha256", "../../../victim")] // <state>/downloads/../../../victim.part: the victim file beside the device
    [InlineData("sha256", "../../..")]
    [InlineData("sha256", "/tmp/../../../../../../../../../../../../../../../../../../../../../../../../../../victim")]
    [InlineData("sha256", "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")] // upper case: not the canonical hash
    [InlineData("sha256", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678")] // 63 characters
    [InlineData("model", "../../etc")]
    [InlineData("model", "iris\nforged log line")]
    [InlineData("version", "../../../victim")]
    [InlineData("version", "1.0.0/../../x")]
    [InlineData("size", "-1")]
    public async Task ApplyAsync_StolenKeyAssignmentWithUnsafeField_IsRefusedAndNothingOutsideTheStateDirectoryChanges(string field, string value)
    {
        var deviceDir = Path.Combine(_temp.Path, "fleet", "device-1");
        using var device = new FleetDevice(_server, "device-1", stateDirectory: deviceDir);
        await device.CheckInAsync();
        Assert.Equal("1.0.0", device.Store.ActiveVersion);

        // The attacker's targets: a file beside the device directory and one beside the temp root, 10 bytes each, so
        // an assignment of size 10 would make the agent read the "download" and delete it without fetching anything.
        var victims = new[] { Path.Combine(_temp.Path, "fleet", "victim.part"), Path.Combine(_temp.Path, "victim.part") };
        foreach (var victim in victims)
        {
            File.WriteAllText(victim, "precious!\n");
        }

        var agentDir = Path.Combine(deviceDir, "agent");
        var outside = Snapshot(_temp.Path, except: agentDir);
        var servedBefore = _server.Metrics.BytesServed;
        var real = (await _server.Registry.ListVersionsAsync(new ListVersionsRequest { Model = "iris-classifier" }, UpdateServerHost.Operator)).Versions.Single(v => v.Version == "2.0.0");
        var assigned = new AssignedVersion { Model = "iris-classifier", Version = "2.0.0", Sha256 = real.Sha256, Size = real.Size, Weight = 1, RolloutId = "r-attack" };
        switch (field)
        {
            case "sha256":
                assigned.Sha256 = value;
                assigned.Size = 10;
                break;
            case "model":
                assigned.Model = value;
                break;
            case "version":
                assigned.Version = value;
                break;
            default:
                assigned.Size = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                break;
        }

        var ex = await Assert.ThrowsAsync<EdgeException>(() => device.Agent.ApplyAsync(SignWithServerKey(device.Id, DateTimeOffset.UtcNow, assigned), CancellationToken.None));

        Assert.Equal(EdgeErrorCode.AssignmentMalformed, ex.Code);
        Assert.StartsWith("The server's signed assignment was refused: ", ex.Message);
        Assert.DoesNotContain("\n", ex.Message); // a hostile name cannot forge a log line
        Assert.Equal(outside, Snapshot(_temp.Path, except: agentDir)); // nothing written or deleted outside the state directory
        Assert.All(victims, v => Assert.Equal("precious!\n", File.ReadAllText(v)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(agentDir, "downloads")));
        Assert.Equal(servedBefore, _server.Metrics.BytesServed); // nothing was fetched
        Assert.Equal("1.0.0", device.Store.ActiveVersion);
        Assert.Equal(["1.0.0"], device.Store.InstalledVersions);
    }

    [Fact]
    public async Task ApplyAsync_ReplayedOlderUnexpiredAssignment_IsRefusedAndServingStaysOnTheNewerVersion()
    {
        var deviceDir = Path.Combine(_temp.Path, "device-2");
        CheckInResponse older;
        using (var device = new FleetDevice(_server, "device-2", stateDirectory: deviceDir))
        {
            await device.CheckInAsync();
            Assert.Equal("1.0.0", device.Store.ActiveVersion);

            // The attacker (on the network path) keeps a genuine signed answer that assigns 1.0.0: the server's own response.
            older = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(DeviceToken(deviceDir)));
            Assert.Equal("1.0.0", Assert.Single(Assignment.Parser.ParseFrom(older.Assignment).Versions).Version);

            await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
            Assert.Equal(["2.0.0"], (await device.CheckInAsync()).Installed);
            Assert.Equal("2.0.0", device.Store.ActiveVersion);
        }

        var stateBefore = File.ReadAllText(Path.Combine(deviceDir, "agent", "agent.json"));

        // Replayed after a restart of the agent too: the newest accepted issue time is persisted in its state file.
        using var restarted = new FleetDevice(_server, "device-2", stateDirectory: deviceDir);
        var ex = await Assert.ThrowsAsync<EdgeException>(() => restarted.Agent.ApplyAsync(older, CancellationToken.None));

        Assert.Equal(EdgeErrorCode.AssignmentReplayed, ex.Code);
        Assert.Contains("before the one this device already accepted", ex.Message);
        Assert.True(DateTimeOffset.FromUnixTimeMilliseconds(Assignment.Parser.ParseFrom(older.Assignment).ExpiresUnixMs) > DateTimeOffset.UtcNow); // it had not expired
        Assert.Equal("2.0.0", restarted.Store.ActiveVersion);
        Assert.Equal("2.0.0", restarted.Store.Predict(Store.ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f])).Version);
        Assert.Equal(stateBefore, File.ReadAllText(Path.Combine(deviceDir, "agent", "agent.json")));

        // The genuine newer assignment still applies.
        var cycle = await restarted.CheckInAsync();
        Assert.Equal(["iris-classifier 2.0.0"], cycle.Assigned);
    }

    [Fact]
    public async Task RunOnce_StateStoreAndTelemetry_AreCreatedOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        var deviceDir = Path.Combine(_temp.Path, "device-3");
        using var device = new FleetDevice(_server, "device-3", stateDirectory: deviceDir, withTelemetry: true);
        await device.CheckInAsync();
        device.ServeLabelledTraffic();
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));

        const UnixFileMode dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(dir, File.GetUnixFileMode(Path.Combine(deviceDir, "agent")));
        Assert.Equal(dir, File.GetUnixFileMode(Path.Combine(deviceDir, "agent", "downloads")));
        Assert.Equal(file, File.GetUnixFileMode(Path.Combine(deviceDir, "agent", "agent.json")));
        Assert.Equal(dir, File.GetUnixFileMode(Path.Combine(deviceDir, "store")));
        Assert.Equal(file, File.GetUnixFileMode(Path.Combine(deviceDir, "telemetry.db")));
        Assert.Equal(file, File.GetUnixFileMode(Path.Combine(deviceDir, "telemetry.db-wal")));
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(deviceDir, "agent", "agent.json")));
        Assert.True(state.RootElement.GetProperty("LastAssignmentIssuedUnixMs").GetInt64() > 0);
        Assert.Empty(Directory.GetFiles(Path.Combine(deviceDir, "agent"), "*.tmp-*"));
    }

    private static string DeviceToken(string deviceDir)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(deviceDir, "agent", "agent.json")));
        return state.RootElement.GetProperty("DeviceToken").GetString()!;
    }

    private CheckInResponse SignWithServerKey(string deviceId, DateTimeOffset issued, params AssignedVersion[] versions)
    {
        var assignment = new Assignment { DeviceId = deviceId, IssuedUnixMs = issued.ToUnixTimeMilliseconds(), ExpiresUnixMs = issued.AddHours(1).ToUnixTimeMilliseconds() };
        assignment.Versions.AddRange(versions);
        return _server.Service<AssignmentSigner>().Sign(assignment); // the real server key: as if it had been stolen
    }

    /// <summary>Every file and directory under <paramref name="root"/> but <paramref name="except"/>, with each file's length and content hash.</summary>
    private static List<string> Snapshot(string root, string except) =>
    [
        .. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal) && p != except)
            .Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{p} {new FileInfo(p).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))}" : p + "/"),
    ];
}
