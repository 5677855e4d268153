using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.Tests.UpdateServer.Webhooks;
using EdgeDeploy.UpdateServer.Fleet;
using EdgeDeploy.UpdateServer.Webhooks;

namespace EdgeDeploy.Tests.UpdateServer.Replicas;

/// <summary>
/// Alert webhooks with two replicas on one PostgreSQL database: the webhook is added at the follower (its secret sealed
/// there) and the leader alone sends the alert's message, once, signed with that secret.
/// </summary>
public sealed class WebhookReplicaTests : IAsyncLifetime
{
    private static readonly string[] FastWebhooks = ["--EdgeDeploy:Webhooks:PollInterval=00:00:00.050", "--EdgeDeploy:Webhooks:InitialBackoff=00:00:00.050"];

    private UpdateServerHost _a = null!;
    private UpdateServerHost _b = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var database = await PostgresCluster.CreateDatabaseAsync();
        _a = await UpdateServerHost.StartAsync(database: database, settings: FastWebhooks);
        _b = await UpdateServerHost.StartAsync(database: database, settings: FastWebhooks, assignmentKey: _a.AssignmentKeyPath);
        await _a.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task AlertWebhook_AddedAtTheFollower_LeaderAloneSendsItOnceAndItVerifies()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_a.Service<ILeaderElection>().IsLeader == _b.Service<ILeaderElection>().IsLeader)
        {
            Assert.True(DateTime.UtcNow < deadline, "no single leader within 30 s");
            await Task.Delay(50);
        }

        var (leader, follower) = _a.Service<ILeaderElection>().IsLeader ? (_a, _b) : (_b, _a);
        var created = await new AdminService.AdminServiceClient(follower.Channel).CreateWebhookAsync(
            new CreateWebhookRequest { Url = _receiver.Url.ToString() }, UpdateServerHost.Operator);
        var device = await leader.RegisterAsync("sensor-1");
        await leader.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { MaxErrorRate = 1, MinInstallSuccessRate = 0 } },
            UpdateServerHost.Operator);
        await leader.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "error_rate", Threshold = 0.1, WindowSeconds = 600, MinSamples = 10 }, UpdateServerHost.Operator);
        await leader.Devices.ReportHealthAsync(
            new HealthReport { Versions = { new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 20, Errors = 5 } } }, UpdateServerHost.Bearer(device));

        var followerRound = await follower.Service<WebhookDispatcher>().DispatchDueAsync(CancellationToken.None); // nothing due yet, and not its job
        await leader.EvaluateRolloutsAsync();
        var received = await _receiver.WaitForAsync(1, "the leader's message");
        var followerAfter = await follower.Service<WebhookDispatcher>().DispatchDueAsync(CancellationToken.None);
        await Task.Delay(500); // ten poll intervals of both replicas: a second sender would have sent by now

        Assert.Equal((0, 0), (followerRound, followerAfter));
        var only = Assert.Single(_receiver.Requests);
        Assert.Equal(received[0].Id, only.Id);
        var key = Convert.FromBase64String(created.Secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes($"{only.Id}.{only.Timestamp}.{only.Body}")));
        Assert.Equal("v1," + expected, only.Signature);
    }
}
