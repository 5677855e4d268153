using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Rollouts;
using EdgeDeploy.UpdateServer.Storage;
using Microsoft.Data.Sqlite;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>One rollout whose evaluation throws (its stored health corrupted in the SQLite file) never stops the others.</summary>
public sealed class EvaluatorIsolationTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await StartWithIrisVersionsAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task EvaluateRollouts_OneRolloutThrows_ItIsMarkedAndAnotherIsStillRolledBackOnTheNextTick()
    {
        var canary = await RegisterAsync(_server, "canary", 2, "canary");
        var prod = await RegisterAsync(_server, "prod", 2, "prod");
        var bad = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce, TargetTags = { "canary" } });
        var broken = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "3.0.0", Strategy = RolloutStrategy.AllAtOnce, TargetTags = { "prod" } }); // newest: evaluated first
        foreach (var device in prod)
        {
            await ReportHealthAsync(_server, device, "3.0.0", requests: 50, errors: 0);
        }

        // Corrupt the broken rollout's stored health directly in the database file: reading it now throws.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_server.TempPath, "data", "edgedeploy.db")}"))
        {
            await connection.OpenAsync();
            await using var corrupt = connection.CreateCommand();
            corrupt.CommandText = "UPDATE health_reports SET latency_buckets = 'not a blob' WHERE version = '3.0.0';";
            Assert.Equal(2, await corrupt.ExecuteNonQueryAsync());
        }

        await _server.EvaluateRolloutsAsync();
        var healthyTick = await RolloutAsync(_server, bad.Id);
        foreach (var device in canary)
        {
            await ReportHealthAsync(_server, device, "2.0.0", requests: 50, errors: 30);
        }

        await _server.EvaluateRolloutsAsync(); // the next tick: the broken rollout throws again, the bad one is judged

        Assert.Equal("active", healthyTick.State);
        var stopped = await RolloutAsync(_server, bad.Id);
        Assert.Equal(("rolled_back", "health gate failed: error rate 60.00% over 100 predictions exceeds 5.00%"), (stopped.State, stopped.StateReason));
        // Read from the store: the operator API's status of this rollout reads the corrupted health too.
        var marked = await _server.Service<IUpdateStore>().GetRolloutAsync(broken.Id, CancellationToken.None);
        Assert.Equal(RolloutState.Active, marked!.State); // left as it was, retried every tick
        Assert.StartsWith(RolloutController.EvaluationFailedPrefix + "InvalidCastException: ", marked.StateReason);
    }
}
