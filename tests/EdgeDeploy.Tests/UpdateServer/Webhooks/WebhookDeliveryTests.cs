using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Webhooks;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeDeploy.Tests.UpdateServer.Webhooks;

/// <summary>
/// Alert webhooks end to end: the real server on 127.0.0.1 opens and resolves an alert from device health reports, and
/// its dispatcher posts Standard Webhooks messages to a real receiver (Kestrel on 127.0.0.1). Signatures are checked here
/// with the test's own HMAC code. Backoff is configured in milliseconds so retries and dead letters are quick and bounded.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private const string Model = "iris-classifier";

    private UpdateServerHost _server = null!;
    private WebhookReceiver _receiver = null!;
    private AdminService.AdminServiceClient _admin = null!;
    private string _device = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await UpdateServerHost.StartAsync(settings:
        [
            "--EdgeDeploy:Webhooks:PollInterval=00:00:00.050",
            "--EdgeDeploy:Webhooks:InitialBackoff=00:00:00.050",
            "--EdgeDeploy:Webhooks:MaxBackoff=00:00:00.200",
            "--EdgeDeploy:Webhooks:MaxAttempts=3",
            "--EdgeDeploy:Webhooks:Timeout=00:00:05",
            "--Logging:LogLevel:EdgeDeploy=Information", // the server's own events too, for the secret test
        ]);
        _admin = new AdminService.AdminServiceClient(_server.Channel);
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        _device = await _server.RegisterAsync("sensor-1");
        await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = Model, Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { MaxErrorRate = 1, MinInstallSuccessRate = 0 } },
            UpdateServerHost.Operator);
        await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = Model, Version = "1.0.0", Metric = "error_rate", Threshold = 0.1, WindowSeconds = 600, MinSamples = 10 }, UpdateServerHost.Operator);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task AlertFiringThenResolved_SignedMessages_ArriveOnceEachAndVerify()
    {
        var created = await AddWebhookAsync();

        await ReportAsync(requests: 20, errors: 5); // error rate 0.25 > 0.1: fires
        await _server.EvaluateRolloutsAsync();
        var afterFiring = await _receiver.WaitForAsync(1, "the firing alert");
        await _server.EvaluateRolloutsAsync(); // still breached: no second alert, no second message
        await ReportAsync(requests: 100, errors: 0); // 5 / 120 < 0.1: resolves
        await _server.EvaluateRolloutsAsync();
        var all = await _receiver.WaitForAsync(2, "the resolved alert");
        await Poll.UntilAsync(async () => (await DeliveriesAsync()).All(d => d.State == "delivered"), () => "both recorded as delivered", interval: TimeSpan.FromMilliseconds(20));
        var again = await _server.Service<WebhookDispatcher>().DispatchDueAsync(CancellationToken.None);

        Assert.Single(afterFiring);
        Assert.Equal(2, all.Count);
        Assert.Equal(0, again); // nothing left to send
        var (firing, resolved) = (all[0], all[1]);
        Assert.All(all, r => AssertSigned(r, created.Secret));
        Assert.NotEqual(firing.Id, resolved.Id);
        Assert.StartsWith("application/json", firing.ContentType, StringComparison.Ordinal);

        using var firingJson = JsonDocument.Parse(firing.Body);
        var data = firingJson.RootElement.GetProperty("data");
        Assert.Equal("alert.firing", firingJson.RootElement.GetProperty("type").GetString());
        Assert.Equal(
            (Model, "1.0.0", "error_rate", 0.25, 0.1, "above", "firing", JsonValueKind.Null),
            (data.GetProperty("model").GetString(), data.GetProperty("version").GetString(), data.GetProperty("metric").GetString(), data.GetProperty("value").GetDouble(),
             data.GetProperty("threshold").GetDouble(), data.GetProperty("direction").GetString(), data.GetProperty("state").GetString(), data.GetProperty("resolved_at").ValueKind));
        Assert.StartsWith("ar-", data.GetProperty("rule_id").GetString(), StringComparison.Ordinal);

        using var resolvedJson = JsonDocument.Parse(resolved.Body);
        var resolvedData = resolvedJson.RootElement.GetProperty("data");
        Assert.Equal(("alert.resolved", "resolved", data.GetProperty("alert_id").GetString()),
            (resolvedJson.RootElement.GetProperty("type").GetString(), resolvedData.GetProperty("state").GetString(), resolvedData.GetProperty("alert_id").GetString()));
        Assert.Equal(5.0 / 120, resolvedData.GetProperty("value").GetDouble(), 9);

        var deliveries = await DeliveriesAsync();
        Assert.Equal([resolved.Id, firing.Id], deliveries.Select(d => d.Id)); // newest first
        Assert.All(deliveries, d => Assert.Equal(("delivered", 1, 204), (d.State, d.Attempts, d.LastStatus)));
    }

    [Fact]
    public async Task FailingReceiver_FirstAttemptAnswers500_RetriedAndDeliveredOnce()
    {
        _receiver.StatusFor = call => call == 1 ? 500 : 200;
        var created = await AddWebhookAsync();

        await ReportAsync(requests: 20, errors: 5);
        await _server.EvaluateRolloutsAsync();
        var received = await _receiver.WaitForAsync(2, "the failed attempt and its retry");
        await Poll.UntilAsync(async () => (await DeliveriesAsync()).Single().State == "delivered", () => "recorded as delivered", interval: TimeSpan.FromMilliseconds(20));

        Assert.Equal([500, 200], received.Select(r => r.AnsweredStatus));
        Assert.Equal(received[0].Id, received[1].Id); // the same message: receivers de-duplicate by webhook-id
        Assert.Equal(received[0].Body, received[1].Body);
        Assert.All(received, r => AssertSigned(r, created.Secret)); // re-signed with each attempt's timestamp
        var delivery = Assert.Single(await DeliveriesAsync());
        Assert.Equal(("delivered", 2, 200), (delivery.State, delivery.Attempts, delivery.LastStatus));
        Assert.Equal(2, _receiver.Requests.Count); // delivered: no further attempt
    }

    [Fact]
    public async Task PermanentlyFailingReceiver_EndsAsDeadLetter_RedeliverDeliversIt()
    {
        var failing = true;
        _receiver.StatusFor = _ => Volatile.Read(ref failing) ? 503 : 200;
        var created = await AddWebhookAsync();

        await ReportAsync(requests: 20, errors: 5);
        await _server.EvaluateRolloutsAsync();
        await Poll.UntilAsync(async () => (await DeliveriesAsync(deadOnly: true)).Count == 1, () => "a dead letter after 3 attempts", interval: TimeSpan.FromMilliseconds(20));
        var dead = Assert.Single(await DeliveriesAsync(deadOnly: true));
        var attemptsBeforeRedeliver = _receiver.Requests.Count;

        Volatile.Write(ref failing, false);
        var queued = await _admin.RedeliverWebhookAsync(new RedeliverWebhookRequest { Id = dead.Id, Reason = "receiver fixed" }, UpdateServerHost.Operator);
        var received = await _receiver.WaitForAsync(4, "the redelivered message");
        await Poll.UntilAsync(async () => (await DeliveriesAsync()).Single().State == "delivered", () => "recorded as delivered", interval: TimeSpan.FromMilliseconds(20));

        Assert.Equal(("dead", 3, 503), (dead.State, dead.Attempts, dead.LastStatus));
        Assert.Contains("HTTP 503", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(3, attemptsBeforeRedeliver);
        Assert.Equal(("pending", 0), (queued.State, queued.Attempts));
        Assert.Equal([503, 503, 503, 200], received.Select(r => r.AnsweredStatus));
        Assert.All(received, r => Assert.Equal(dead.Id, r.Id));
        AssertSigned(received[3], created.Secret);
        Assert.Empty(await DeliveriesAsync(deadOnly: true));
        Assert.Contains("is a dead letter after 3 attempts", _server.Log.Text, StringComparison.Ordinal);
        var audit = await _admin.ListAuditAsync(new ListAuditRequest { Target = "webhook-delivery " + dead.Id }, UpdateServerHost.Operator);
        Assert.Equal(("RedeliverWebhook", "receiver fixed", "ok"), (audit.Entries.Single().Action, audit.Entries.Single().Reason, audit.Entries.Single().Outcome));
    }

    [Fact]
    public async Task WebhookCalls_AsViewerDeployerForgedOrUnsigned_AreRefusedAndNothingChanges()
    {
        var existing = await AddWebhookAsync();
        var viewer = (await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "vera", Role = "viewer" }, UpdateServerHost.Operator)).Token;
        var deployer = (await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "dan", Role = "deployer" }, UpdateServerHost.Operator)).Token;
        var attacker = new CreateWebhookRequest { Url = "https://attacker.example/steal" };

        var asViewer = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateWebhookAsync(attacker, UpdateServerHost.Bearer(viewer)));
        var asDeployer = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateWebhookAsync(attacker, UpdateServerHost.Bearer(deployer)));
        var forged = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateWebhookAsync(attacker, UpdateServerHost.Bearer("operator-secreT")));
        var unsigned = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateWebhookAsync(attacker));
        var remove = await Assert.ThrowsAsync<RpcException>(async () => await _admin.RemoveWebhookAsync(new RemoveWebhookRequest { Id = existing.Webhook.Id }, UpdateServerHost.Bearer(viewer)));
        var list = await Assert.ThrowsAsync<RpcException>(async () => await _admin.ListWebhooksAsync(new ListWebhooksRequest(), UpdateServerHost.Bearer(deployer)));
        using var http = new HttpClient { BaseAddress = _server.HttpAddress };
        using var restUnsigned = await http.PostAsync("/api/v1/webhooks", new StringContent("{\"url\":\"https://attacker.example/steal\"}", Encoding.UTF8, "application/json"));
        using var restViewer = new HttpRequestMessage(HttpMethod.Post, "/api/v1/webhooks") { Content = new StringContent("{\"url\":\"https://attacker.example/steal\"}", Encoding.UTF8, "application/json") };
        restViewer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", viewer);
        using var restViewerResponse = await http.SendAsync(restViewer);

        Assert.Equal(
            (StatusCode.PermissionDenied, StatusCode.PermissionDenied, StatusCode.PermissionDenied, StatusCode.Unauthenticated, StatusCode.PermissionDenied, StatusCode.PermissionDenied),
            (asViewer.StatusCode, asDeployer.StatusCode, forged.StatusCode, unsigned.StatusCode, remove.StatusCode, list.StatusCode));
        Assert.Contains("needs the admin role", asViewer.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden), (restUnsigned.StatusCode, restViewerResponse.StatusCode));
        var webhooks = await _admin.ListWebhooksAsync(new ListWebhooksRequest(), UpdateServerHost.Operator);
        Assert.Equal([existing.Webhook.Id], webhooks.Webhooks.Select(w => w.Id)); // nothing added, nothing removed
        var refused = await _admin.ListAuditAsync(new ListAuditRequest { Operator = "vera" }, UpdateServerHost.Operator);
        Assert.All(refused.Entries, e => Assert.StartsWith("PermissionDenied", e.Outcome, StringComparison.Ordinal));
        Assert.Contains(refused.Entries, e => e.Action == "CreateWebhook");
    }

    [Fact]
    public async Task Secret_AfterAddAndDelivery_NeverInListsAuditLogsOrTheDatabase()
    {
        var created = await AddWebhookAsync();
        await ReportAsync(requests: 20, errors: 5);
        await _server.EvaluateRolloutsAsync();
        await _receiver.WaitForAsync(1, "the firing alert");
        await Poll.UntilAsync(async () => (await DeliveriesAsync()).Single().State == "delivered", () => "recorded as delivered", interval: TimeSpan.FromMilliseconds(20));

        var keyPart = created.Secret["whsec_".Length..];
        using var http = new HttpClient { BaseAddress = _server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", UpdateServerHost.OperatorToken);
        var seen = new Dictionary<string, string>
        {
            ["ListWebhooks"] = JsonFormatter.Default.Format(await _admin.ListWebhooksAsync(new ListWebhooksRequest(), UpdateServerHost.Operator)),
            ["ListWebhookDeliveries"] = JsonFormatter.Default.Format(await _admin.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest(), UpdateServerHost.Operator)),
            ["REST /api/v1/webhooks"] = await http.GetStringAsync("/api/v1/webhooks"),
            ["audit"] = JsonFormatter.Default.Format(await _admin.ListAuditAsync(new ListAuditRequest(), UpdateServerHost.Operator)),
            ["server log"] = _server.Log.Text,
            ["receiver body"] = _receiver.Requests.Single().Body,
        };
        await _server.FlushCheckInsAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(_server.TempPath, "data")))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            seen["file " + Path.GetFileName(file)] = await reader.ReadToEndAsync();
        }

        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(keyPart).Length);
        Assert.Contains("file edgedeploy.db", seen.Keys);
        Assert.Contains($"Webhook {created.Webhook.Id} accepted alert.firing message msg_", seen["server log"], StringComparison.Ordinal);
        Assert.Contains(created.Webhook.Id, seen["ListWebhooks"], StringComparison.Ordinal);
        Assert.All(seen, kv => Assert.False(kv.Value.Contains(keyPart, StringComparison.Ordinal), $"{kv.Key} holds the webhook secret"));
    }

    [Theory]
    [InlineData("ftp://hooks.example/x", "", "")]
    [InlineData("/hooks/relative", "", "")]
    [InlineData("https://user:pass@hooks.example/x", "", "")]
    [InlineData("https://hooks.example/x#frag", "", "")]
    [InlineData("https://hooks.example/x", "alert.exploded", "")]
    [InlineData("https://hooks.example/x", "", "accuracy_of_vibes")]
    public async Task CreateWebhook_InvalidUrlOrFilter_IsRefusedAndNothingIsStored(string url, string eventType, string metric)
    {
        var request = new CreateWebhookRequest { Url = url };
        if (eventType.Length > 0)
        {
            request.EventTypes.Add(eventType);
        }

        if (metric.Length > 0)
        {
            request.Metrics.Add(metric);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await _admin.CreateWebhookAsync(request, UpdateServerHost.Operator));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Empty((await _admin.ListWebhooksAsync(new ListWebhooksRequest(), UpdateServerHost.Operator)).Webhooks);
    }

    [Fact]
    public async Task Filter_OtherModelOrOnlyResolved_NoMessageForAFiringAlert()
    {
        var otherModel = new CreateWebhookRequest { Url = _receiver.Url.ToString(), Models = { "other-model" } };
        var resolvedOnly = new CreateWebhookRequest { Url = _receiver.Url.ToString(), EventTypes = { "resolved" } };
        await _admin.CreateWebhookAsync(otherModel, UpdateServerHost.Operator);
        var created = await _admin.CreateWebhookAsync(resolvedOnly, UpdateServerHost.Operator);

        await ReportAsync(requests: 20, errors: 5);
        await _server.EvaluateRolloutsAsync();
        var firing = Assert.Single((await _server.Registry.ListAlertsAsync(new ListAlertsRequest(), UpdateServerHost.Operator)).Alerts);

        Assert.Equal(["alert.resolved"], created.Webhook.EventTypes);
        Assert.True(firing.Firing);
        Assert.Empty(await DeliveriesAsync());
        Assert.Empty(_receiver.Requests);
    }

    private async Task<CreateWebhookResponse> AddWebhookAsync() =>
        await _admin.CreateWebhookAsync(
            new CreateWebhookRequest { Url = _receiver.Url.ToString(), Models = { Model }, Description = "retraining pipeline", Reason = "close the loop" }, UpdateServerHost.Operator);

    private async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(bool deadOnly = false) =>
        (await _admin.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest { DeadOnly = deadOnly }, UpdateServerHost.Operator)).Deliveries;

    private async Task ReportAsync(long requests, long errors) =>
        await _server.Devices.ReportHealthAsync(
            new HealthReport { Versions = { new VersionStats { Model = Model, Version = "1.0.0", Requests = requests, Errors = errors } } }, UpdateServerHost.Bearer(_device));

    /// <summary>Standard Webhooks verification, written here from the spec (not the server's code).</summary>
    private static void AssertSigned(WebhookReceiver.Received received, string secret)
    {
        Assert.NotNull(received.Id);
        Assert.StartsWith("msg_", received.Id, StringComparison.Ordinal);
        var timestamp = long.Parse(received.Timestamp!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 300, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5); // the receivers' 5-minute tolerance
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{received.Id}.{received.Timestamp}.{received.Body}"));
        var signatures = received.Signature!.Split(' ').Where(s => s.StartsWith("v1,", StringComparison.Ordinal)).Select(s => Convert.FromBase64String(s[3..])).ToList();
        Assert.Contains(signatures, s => CryptographicOperations.FixedTimeEquals(s, expected));
    }
}
