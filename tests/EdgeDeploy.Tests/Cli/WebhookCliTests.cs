using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.Tests.UpdateServer.Webhooks;

namespace EdgeDeploy.Tests.Cli;

/// <summary>`edge webhook add|list|remove|deliveries|redeliver` of the AOT-published `edge` against the real server and a real receiver.</summary>
[Collection(AotCollection.Name)]
public sealed class WebhookCliTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{
    private WebhookReceiver _receiver = null!;

    public override async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    protected override Task<UpdateServerHost> StartServerAsync() => UpdateServerHost.StartAsync(settings:
    [
        "--EdgeDeploy:Webhooks:PollInterval=00:00:00.050",
        "--EdgeDeploy:Webhooks:InitialBackoff=00:00:00.050",
        "--EdgeDeploy:Webhooks:MaxBackoff=00:00:00.100",
        "--EdgeDeploy:Webhooks:MaxAttempts=2",
    ]);

    [Fact]
    public async Task WebhookFlow_AddDeadLetterRedeliverRemove_WorksFromTheCliAndNeverPrintsTheSecretAgain()
    {
        using var temp = new TempDirectory();
        var failing = true;
        _receiver.StatusFor = _ => Volatile.Read(ref failing) ? 503 : 204;
        var secretFile = temp.File("hook.secret");
        var added = Ok("webhook", "add", _receiver.Url.ToString(), "--model", "iris-classifier", "--event", "firing", "--description", "retrain", "--secret-out", secretFile, "--reason", "loop").StdOut;
        var id = added.Split("  ")[0];
        var secret = File.ReadAllText(secretFile).Trim();
        var printed = Ok("webhook", "add", _receiver.Url.ToString(), "--metric", "psi").StdOut;
        var list = Ok("webhook", "list").StdOut;
        var invalid = Edge("webhook", "add", "ftp://hooks.example/x");
        var viewer = (await new AdminService.AdminServiceClient(Server.Channel).CreateOperatorAsync(new CreateOperatorRequest { Name = "vera", Role = "viewer" }, UpdateServerHost.Operator)).Token;
        var refused = EdgeAs(viewer, "webhook", "add", "https://attacker.example/x");

        await Server.FireErrorRateAlertAsync();
        await Poll.UntilAsync(() => Ok("webhook", "deliveries", "--dead").StdOut.Contains("  dead  ", StringComparison.Ordinal), () => "a dead letter", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        var dead = Ok("webhook", "deliveries", "--dead").StdOut.Trim();
        var messageId = dead.Split("  ")[0];
        Volatile.Write(ref failing, false);
        var queued = Ok("webhook", "redeliver", messageId, "--reason", "receiver fixed").StdOut;
        await Poll.UntilAsync(() => Ok("webhook", "deliveries", "--webhook", id).StdOut.Contains("  delivered ", StringComparison.Ordinal), () => "the redelivery", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));
        var removed = Ok("webhook", "remove", id).StdOut;

        Assert.StartsWith("wh-", id, StringComparison.Ordinal);
        Assert.Contains($"{_receiver.Url}  events alert.firing  models iris-classifier  metrics all  by operator ", added, StringComparison.Ordinal);
        Assert.Contains($"secret written to {secretFile} (owner-only)", added, StringComparison.Ordinal);
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Contains("secret: whsec_", printed, StringComparison.Ordinal);
        Assert.Equal(2, list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("whsec_", list, StringComparison.Ordinal);
        Assert.Equal(2, invalid.ExitCode);
        Assert.StartsWith("error: InvalidArgument: url must be an absolute http:// or https:// URL", invalid.StdErr, StringComparison.Ordinal);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("error: PermissionDenied: Operator vera is a viewer; CreateWebhook needs the admin role.", refused.StdErr, StringComparison.Ordinal);
        Assert.Matches(@"^msg_[0-9a-f]{32}  wh-[0-9a-f]{32}  alert\.firing  al-[0-9a-f]+  dead  attempts 2  queued .*  HTTP 503  last error: HTTP 503", dead);
        Assert.StartsWith($"queued {messageId}  ", queued, StringComparison.Ordinal);
        Assert.StartsWith($"removed {id}  ", removed, StringComparison.Ordinal);
        Assert.Equal([503, 503, 204], _receiver.Requests.Select(r => r.AnsweredStatus)); // the psi-only webhook took no error_rate alert
        Assert.Single(Ok("webhook", "list").StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
