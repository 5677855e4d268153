using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EdgeDeploy.Tests.UpdateServer.WebConsole;

/// <summary>An operator pauses a rollout in the browser; the AOT-published `edge` CLI sees it through gRPC.</summary>
[Collection(AotCollection.Name)]
public sealed class ConsoleCliTests : IAsyncLifetime
{
    private readonly string _edge;
    private UpdateServerHost _server = null!;
    private ConsoleBrowser _browser = null!;

    public ConsoleCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

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
    public async Task Pause_InTheBrowserWithConfirmation_IsWhatEdgeRolloutStatusShows()
    {
        var id = await ConsoleBrowser.StagedRolloutAsync(_server);
        using var device = new FleetDevice(_server, "kiosk-1");
        await device.CheckInAsync();
        var page = await _browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, UpdateServerHost.OperatorToken, $"/console/rollouts/{id}");

        await page.GetByRole(AriaRole.Link, new() { Name = "Pause…" }).ClickAsync();
        await ConsoleBrowser.ShotAsync(page, "confirm");
        await page.GetByLabel("Reason").FillAsync("maintenance window");
        await page.GetByLabel("I confirm").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause", Exact = true }).ClickAsync();
        // The post redirects back to the address the confirm page came from: only the new state says it has landed.
        await Assertions.Expect(page.GetByTestId("state")).ToHaveTextAsync("paused");
        await ConsoleBrowser.ArrivedAsync(page, new Regex(Regex.Escape($"/console/rollouts/{id}") + "$"));
        Assert.Contains("pause", await page.GetByRole(AriaRole.Table, new() { Name = "Timeline" }).InnerTextAsync(), StringComparison.Ordinal);
        var status = ProcessRunner.Run(_edge, ["rollout", "status", id, "--history", "--server", _server.Address.ToString()], TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains($"{id}  iris-classifier 1.0.0  Staged  paused  stage 1/2 (50%)", status.StdOut, StringComparison.Ordinal);
        Assert.Contains("reason: paused by operator: maintenance window", status.StdOut, StringComparison.Ordinal);
        var history = status.StdOut[status.StdOut.IndexOf("  history:", StringComparison.Ordinal)..]; // who changed what and why, oldest first
        Assert.Matches(@"UTC  operator  created -> active, stage 1: Staged to 50%, 100%", history);
        Assert.Matches(@"UTC  operator  paused -> paused, stage 1: maintenance window", history);
        Assert.True(history.IndexOf("created", StringComparison.Ordinal) < history.IndexOf("paused", StringComparison.Ordinal));

        // One audit entry, as a gRPC pause would have written it.
        var audit = await new AdminService.AdminServiceClient(_server.Channel).ListAuditAsync(new ListAuditRequest { Target = "rollout " + id }, UpdateServerHost.Operator);
        var entry = Assert.Single(audit.Entries);
        Assert.Equal(("operator", "admin", "PauseRollout", "maintenance window", "ok"), (entry.Operator, entry.Role, entry.Action, entry.Reason, entry.Outcome));
    }
}
