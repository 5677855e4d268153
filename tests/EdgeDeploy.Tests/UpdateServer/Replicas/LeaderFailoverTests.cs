using System.Diagnostics;
using System.Text;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Fleet;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Replicas;

/// <summary>
/// The leader is a separate server process; <c>kill -9</c> it in the middle of a staged rollout and the other replica
/// takes the leadership over within the documented time and carries the rollout to completion, counting each install once.
/// </summary>
public sealed class LeaderFailoverTests
{
    /// <summary>
    /// Documented: a follower takes over within one leadership check (1 s) of the leader's session ending; slack for a
    /// loaded 2-core CI machine (the bound is a wall-clock time measured beside AOT publishes).
    /// </summary>
    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Leader_KilledMidRollout_OtherReplicaTakesOverAndCompletesTheRollout()
    {
        var database = await PostgresCluster.CreateDatabaseAsync();
        using var temp = new TempDirectory();
        var output = new StringBuilder();
        using var leader = StartServerProcess(database, temp.Path, output);
        try
        {
            await Poll.UntilAsync(async () => await LockHoldersAsync(database) == 1, () => "the server process never took the leadership:\n" + output, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
            await using var replica = await UpdateServerHost.StartAsync(
                database: database, evaluationInterval: TimeSpan.FromSeconds(1), assignmentKey: Path.Combine(temp.Path, "data", "assignment.key"));
            await Task.Delay(1500); // a leadership check or two
            var replicaLedBefore = replica.Service<ILeaderElection>().IsLeader;

            await replica.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
            var staged = await replica.Registry.CreateRolloutAsync(
                new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 100 } }, UpdateServerHost.Operator);

            leader.Kill(); // SIGKILL: no shutdown, no resignation; PostgreSQL ends its session when the socket closes
            await leader.WaitForExitAsync();
            var killed = Stopwatch.StartNew();
            await Poll.UntilAsync(() => replica.Service<ILeaderElection>().IsLeader, () => "the replica never took over", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
            var tookOver = killed.Elapsed;

            // Real agents (download, verify, gate, install, report) at the surviving replica; the new leader advances
            // the rollout stage by stage as its members report.
            using var devices = new DisposableList<FleetDevice>([new FleetDevice(replica, "sensor-1"), new FleetDevice(replica, "sensor-2")]);
            await Poll.UntilAsync(
                async () =>
                {
                    foreach (var device in devices.Items)
                    {
                        await device.CheckInAsync();
                    }

                    return (await replica.Registry.GetRolloutAsync(new GetRolloutRequest { Id = staged.Id }, UpdateServerHost.Operator)).State == "completed";
                },
                () => "the rollout did not complete after the takeover",
                TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(50));
            var final = await replica.Registry.GetRolloutAsync(new GetRolloutRequest { Id = staged.Id }, UpdateServerHost.Operator);

            Assert.False(replicaLedBefore);
            Assert.True(tookOver < TakeoverBound, $"took over {tookOver.TotalMilliseconds:F0} ms after the kill");
            Assert.Equal(1, await LockHoldersAsync(database));
            Assert.Equal((2, 2, 0, 100.0), (final.TargetedDevices, final.InstalledDevices, final.FailedDevices, final.CurrentPercent));
            Assert.All(devices.Items, d => Assert.Equal("1.0.0", d.Store.ActiveVersion));
        }
        finally
        {
            if (!leader.HasExited)
            {
                leader.Kill();
            }
        }
    }

    private sealed class DisposableList<T>(List<T> items) : IDisposable
        where T : IDisposable
    {
        public List<T> Items { get; } = items;

        public void Dispose() => Items.ForEach(i => i.Dispose());
    }

    /// <summary>Sessions of this database holding the leader lock.</summary>
    private static async Task<long> LockHoldersAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name = 'edgedeploy-leader';
            """,
            connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static Process StartServerProcess(string database, string root, StringBuilder output)
    {
        var trust = Path.Combine(root, "server-trust");
        SampleTrust.Create(trust);
        var dll = Path.Combine(Repo.Root, "src", "UpdateServer", "bin", "Release", "net10.0", "EdgeDeploy.UpdateServer.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
        foreach (var a in (string[])[
            dll, "--urls", "http://127.0.0.1:0", "--EdgeDeploy:HttpUrls=", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:EdgeDeploy=Information",
            $"--EdgeDeploy:DataDirectory={Path.Combine(root, "data")}", $"--EdgeDeploy:TrustDirectory={trust}",
            $"--EdgeDeploy:OperatorToken={UpdateServerHost.OperatorToken}", $"--EdgeDeploy:EnrollmentToken={UpdateServerHost.EnrollmentToken}",
            "--EdgeDeploy:RolloutEvaluationInterval=00:00:01", $"--EdgeDeploy:Database={database}"])
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server process");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
