using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EdgeDeploy.Tests.UpdateServer.WebConsole;

/// <summary>
/// The web console in Debian's chromium against the real server (SQLite) with real agents (ONNX Runtime devices):
/// every page renders from live state, roles and CSRF protection hold against forged posts.
/// </summary>
public sealed class ConsoleTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private ConsoleBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        _browser = await ConsoleBrowser.LaunchAsync(_server);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Pages_FleetWithRealAgents_ShowDevicesRolloutGatesMonitoringAndDriftCharts()
    {
        var id = await ConsoleBrowser.StagedRolloutAsync(_server);
        using var kiosk1 = new FleetDevice(_server, "kiosk-1", withTelemetry: true);
        using var kiosk2 = new FleetDevice(_server, "kiosk-2", withTelemetry: true);
        foreach (var device in new[] { kiosk1, kiosk2 })
        {
            await device.CheckInAsync();
            await device.CheckInAsync();
        }

        var members = new[] { kiosk1, kiosk2 }.Where(d => d.Store.ActiveVersion is not null).ToList(); // 50% by hash: one, or both
        Assert.NotEmpty(members);
        var serving = members[0];
        serving.ServeLabelledTraffic();
        Assert.True(serving.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await serving.CheckInAsync();
        await _server.FlushCheckInsAsync();

        var page = await _browser.NewPageAsync();
        await page.GotoAsync("/console/rollouts");
        Assert.Contains("/console/sign-in", page.Url, StringComparison.Ordinal); // unauthenticated: sent to sign in
        await ConsoleBrowser.ShotAsync(page, "sign-in");
        await page.GetByLabel("Operator token").FillAsync("not-a-token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        Assert.Contains("not a valid operator credential", await page.Locator("[role=alert]").InnerTextAsync(), StringComparison.Ordinal);

        await ConsoleBrowser.SignInAsync(page, UpdateServerHost.OperatorToken);
        Assert.Equal("operator (admin)", await page.GetByTestId("who").InnerTextAsync());
        Assert.Equal(["kiosk-1", "kiosk-2"], await page.Locator("tr[data-device]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.device)"));
        Assert.Contains("iris-classifier 1.0.0", await page.Locator($"tr[data-device={serving.Id}]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("online", await page.Locator("tr[data-device=kiosk-1]").InnerTextAsync(), StringComparison.Ordinal);
        await ConsoleBrowser.ShotAsync(page, "fleet");
        await page.GetByLabel("Status").SelectOptionAsync("offline");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await ConsoleBrowser.ArrivedAsync(page, new Regex("status=offline")); // the filter is a GET form: counting before it lands counts the old page
        await Assertions.Expect(page.Locator("tr[data-device]")).ToHaveCountAsync(0);

        await page.GotoAsync($"/console/devices/{serving.Id}");
        Assert.Contains("installed", await page.GetByRole(AriaRole.Table, new() { Name = "Install history" }).InnerTextAsync(), StringComparison.Ordinal);
        var history = await page.GetByTestId("device-health").Locator("tbody tr").AllInnerTextsAsync(); // its own reports, newest first
        Assert.NotEmpty(history);
        Assert.Contains(history, row => row.Contains("iris-classifier 1.0.0", StringComparison.Ordinal) && row.Contains("0.00%", StringComparison.Ordinal));
        Assert.Equal(3, await page.GetByTestId("device-health-charts").Locator("figure.chart").CountAsync()); // requests, error rate, latency p95
        await ConsoleBrowser.ShotAsync(page, "device");

        await page.GotoAsync("/console/models");
        await page.GetByRole(AriaRole.Link, new() { Name = "1.0.0" }).ClickAsync();
        var model = await page.Locator("main").InnerTextAsync();
        Assert.Contains("Model card (signed)", model, StringComparison.Ordinal);
        Assert.Contains("Version sync", model, StringComparison.Ordinal);
        Assert.Contains("verified against the server's trust root now", model, StringComparison.Ordinal);
        Assert.Contains("petal_length<2.5", model, StringComparison.Ordinal);
        await ConsoleBrowser.ShotAsync(page, "model-version");

        await page.GotoAsync("/console/rollouts");
        Assert.Contains("active", await page.Locator($"tr[data-rollout={id}]").InnerTextAsync(), StringComparison.Ordinal);
        await ConsoleBrowser.ShotAsync(page, "rollouts");
        await page.GetByRole(AriaRole.Link, new() { Name = id }).ClickAsync();
        Assert.Equal(["stage 1: 50%", "stage 2: 100%"], await page.Locator("[data-stage]").AllInnerTextsAsync());
        Assert.Equal("1", await page.Locator("[aria-current=step]").GetAttributeAsync("data-stage"));
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator); // what `edge rollout status` shows
        Assert.Equal($"{status.TargetedDevices} targeted: {status.InstalledDevices} installed, 0 failed, 0 silent, {status.PendingDevices} pending", await page.GetByTestId("members").InnerTextAsync());
        var errorGate = await page.Locator("tr[data-gate='error rate'] td").AllInnerTextsAsync();
        Assert.Equal(["error rate", "0.00% on 45 requests", "≤ 5.00% (after 20 requests)", "ok"], errorGate);
        Assert.Equal($"{status.TargetedDevices} of {status.TargetedDevices} (0 failed or silent)", await page.Locator("tr[data-gate='install success'] td").Nth(1).InnerTextAsync());
        Assert.Equal(["pause", "rollback", "promote"], await page.Locator("[data-action]").EvaluateAllAsync<string[]>("a => a.map(x => x.dataset.action)")); // what applies to an active rollout
        await ConsoleBrowser.ShotAsync(page, "rollout");

        await page.GotoAsync("/console/monitoring?version=iris-classifier%201.0.0&hours=1");
        Assert.Equal(4, await page.Locator("main figure.chart").CountAsync());
        Assert.Contains("45 predictions", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(3, await page.Locator("tr[data-slice]").CountAsync());
        await ConsoleBrowser.ShotAsync(page, "monitoring");

        await page.GotoAsync("/console/monitoring/drift?version=iris-classifier%201.0.0");
        var drift = await _server.Registry.GetDriftAsync(new DriftRequest { Model = "iris-classifier", Version = "1.0.0" }, UpdateServerHost.Operator);
        Assert.True(drift.Features.Count >= 5, "four features and the outputs"); // four features and the outputs
        Assert.Equal(drift.Features.Select(f => f.Name), await page.Locator("section[data-feature]").EvaluateAllAsync<string[]>("s => s.map(x => x.dataset.feature)"));
        Assert.Equal(drift.Features.Count, await page.Locator("section[data-feature] svg.chart").CountAsync());
        Assert.True(await page.Locator("section[data-feature] svg rect").CountAsync() >= 2 * drift.Features.Count);
        foreach (var f in drift.Features) // n, the test's p-value and the verdict, as GetDrift (and drift alerts) judge them
        {
            var verdict = page.Locator($"section[data-feature='{f.Name}'] [data-verdict]");
            Assert.Equal(f.Shifted ? "shifted" : "not-shifted", await verdict.GetAttributeAsync("data-verdict"));
            var text = await verdict.InnerTextAsync();
            Assert.Contains($"n = {f.Samples} (reference m = {f.ReferenceSamples})", text, StringComparison.Ordinal);
            Assert.Contains(f.Test + " p = ", text, StringComparison.Ordinal);
        }

        await ConsoleBrowser.ShotAsync(page, "drift");

        await page.GotoAsync("/console/audit");
        Assert.Contains("CreateRollout", await page.Locator("tr[data-audit]").First.InnerTextAsync(), StringComparison.Ordinal);
        await ConsoleBrowser.ShotAsync(page, "audit");

        var tablet = await _browser.NewPageAsync(tablet: true);
        await ConsoleBrowser.SignInAsync(tablet, UpdateServerHost.OperatorToken, $"/console/rollouts/{id}");
        await ConsoleBrowser.ShotAsync(tablet, "rollout-tablet");
        Assert.True(await tablet.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1")); // no sideways scrolling
    }

    [Fact]
    public async Task RolloutPage_BanditWithRealAgents_TimelineAndArmWeightsOverTimeFromTheControllersEvaluations()
    {
        await _server.PublishAsync(await File.ReadAllBytesAsync(Repo.Model("iris_classifier.edgepkg"))); // accuracy 0.933 on the labelled rows
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));                  // accuracy 0.867
        var devices = Enumerable.Range(0, 4).Select(i => new FleetDevice(_server, $"arm-{i}")).ToList();
        try
        {
            var bandit = await _server.Registry.CreateRolloutAsync(
                new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", BanditVersions = { "1.0.0" }, Strategy = RolloutStrategy.Bandit }, UpdateServerHost.Operator);
            for (var round = 0; round < 2; round++)
            {
                foreach (var d in devices)
                {
                    await d.CheckInAsync();
                    d.ServeLabelledTraffic(rounds: 4);
                    await d.CheckInAsync(); // reports the health the bandit's reward reads
                }

                await _server.EvaluateRolloutsAsync();
            }

            var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = bandit.Id }, UpdateServerHost.Operator);
            Assert.Equal(("operator", "created"), (status.History[0].Actor, status.History[0].Action));
            var reweighted = status.History.Where(e => e.Action == "reweighted").ToList();
            Assert.NotEmpty(reweighted);
            Assert.All(reweighted, e => Assert.Equal("controller", e.Actor));
            Assert.Equal(status.Arms.Select(a => (a.Version, a.Weight)), reweighted[^1].Arms.Select(a => (a.Version, a.Weight)));

            var page = await _browser.NewPageAsync();
            await ConsoleBrowser.SignInAsync(page, UpdateServerHost.OperatorToken, $"/console/rollouts/{bandit.Id}");
            var chart = page.GetByTestId("arm-history");
            Assert.Equal(1, await chart.Locator("svg.chart").CountAsync());
            Assert.Equal(2, await chart.Locator("svg.chart polyline").CountAsync()); // one line per arm
            Assert.Contains("created", await page.GetByTestId("timeline").InnerTextAsync(), StringComparison.Ordinal);
            await ConsoleBrowser.ShotAsync(page, "rollout-bandit");
        }
        finally
        {
            devices.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public async Task RolloutPage_ControllerPausesOnAFailedGate_TimelineNamesTheGateAndItsValue()
    {
        await _server.PublishAsync(SamplePackages.Iris("3.0.0", "iris_classifier_v2", metricMin: 0.95)); // fails every device's install gate
        using var device = new FleetDevice(_server, "kiosk-9");
        var request = new CreateRolloutRequest { Model = "iris-classifier", Version = "3.0.0", Strategy = RolloutStrategy.AllAtOnce, OnFailure = FailureAction.Pause };
        var id = (await _server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator)).Id;
        await device.CheckInAsync();
        await device.CheckInAsync();

        await _server.EvaluateRolloutsAsync();

        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator);
        Assert.Equal("paused", status.State);
        var paused = status.History.Single(e => e.Action == "paused");
        Assert.Equal(("controller", "paused", 0), (paused.Actor, paused.State, paused.Stage));
        Assert.Contains("health gate failed: 1 of 1 devices failed to install", paused.Reason, StringComparison.Ordinal);

        var page = await _browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, UpdateServerHost.OperatorToken, $"/console/rollouts/{id}");
        var row = await page.GetByTestId("timeline").Locator("tbody tr", new() { HasText = "controller" }).InnerTextAsync();
        Assert.Contains("paused → paused, stage 1", row, StringComparison.Ordinal);
        Assert.Contains("1 of 1 devices failed to install", row, StringComparison.Ordinal);
        await ConsoleBrowser.ShotAsync(page, "rollout-timeline");
    }

    [Fact]
    public async Task Pause_Viewer_HasNoButtonAndAForgedPostIsRefusedAndAudited()
    {
        var id = await ConsoleBrowser.StagedRolloutAsync(_server);
        var admin = new AdminService.AdminServiceClient(_server.Channel);
        var viewer = await admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "vera", Role = "viewer", Reason = "console test" }, UpdateServerHost.Operator);
        var page = await _browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, viewer.Token, $"/console/rollouts/{id}");

        Assert.Equal("vera (viewer)", await page.GetByTestId("who").InnerTextAsync());
        Assert.Equal(0, await page.Locator("[data-action]").CountAsync());
        Assert.Contains("needs the deployer role", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(403, (await page.GotoAsync($"/console/rollouts/{id}/pause"))!.Status);

        await page.GotoAsync($"/console/rollouts/{id}");
        var forged = await ConsoleBrowser.PostFormAsync(page, $"/console/rollouts/{id}/pause", ("__csrf", await ConsoleBrowser.CsrfAsync(page)), ("reason", "forged"), ("confirm", "yes"));

        Assert.Equal(403, forged.Status);
        Assert.Contains("vera is a viewer; PauseRollout needs the deployer role. Nothing was changed.", await forged.TextAsync(), StringComparison.Ordinal);
        Assert.Equal("active", (await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator)).State);
        var audit = await admin.ListAuditAsync(new ListAuditRequest { Operator = "vera" }, UpdateServerHost.Operator);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(("PauseRollout", "rollout " + id, "forged"), (entry.Action, entry.Target, entry.Reason));
        Assert.StartsWith("PermissionDenied: ", entry.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pause_PostWithoutAntiforgeryTokenOrSignIn_IsRefusedAndNothingChanges()
    {
        var id = await ConsoleBrowser.StagedRolloutAsync(_server);
        var page = await _browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, UpdateServerHost.OperatorToken, $"/console/rollouts/{id}");

        var noToken = await ConsoleBrowser.PostFormAsync(page, $"/console/rollouts/{id}/pause", ("reason", "csrf"), ("confirm", "yes"));
        var wrongToken = await ConsoleBrowser.PostFormAsync(page, $"/console/rollouts/{id}/pause", ("__csrf", "CfDJ8forged"), ("reason", "csrf"), ("confirm", "yes"));
        await using var anonymous = await _browser.Playwright.APIRequest.NewContextAsync(new() { BaseURL = _browser.BaseUrl.ToString() });
        var unsigned = await anonymous.PostAsync($"/console/rollouts/{id}/pause", new() { Form = anonymous.CreateFormData().Set("reason", "x").Set("confirm", "yes"), MaxRedirects = 0 });
        var noReason = await ConsoleBrowser.PostFormAsync(page, $"/console/rollouts/{id}/pause", ("__csrf", await ConsoleBrowser.CsrfAsync(page)), ("reason", " "), ("confirm", "yes"));

        Assert.Equal((400, 400, 401, 400), (noToken.Status, wrongToken.Status, unsigned.Status, noReason.Status));
        Assert.Contains("antiforgery token is missing or invalid; nothing was changed", await noToken.TextAsync(), StringComparison.Ordinal);
        Assert.Equal("active", (await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator)).State);
        var audit = await new AdminService.AdminServiceClient(_server.Channel).ListAuditAsync(new ListAuditRequest { Target = "rollout " + id }, UpdateServerHost.Operator);
        Assert.Empty(audit.Entries);

        // The console is served on the HTTP/1.1 listener only, never on the gRPC one.
        using var grpcPort = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await grpcPort.GetAsync(new Uri(_server.Address, "/console/sign-in"))).StatusCode);
    }
}
