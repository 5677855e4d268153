using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Google.Protobuf;

namespace EdgeDeploy.Tests.UpdateServer.Api;

/// <summary>
/// The REST API and the AOT-published `edge` CLI against one real server: a rollout created, read and paused with plain
/// HTTP requests (as curl sends them) reads the same through `edge rollout status`, JSON for JSON, and the other way round.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class RestCliTests : IAsyncLifetime
{
    private readonly string _edge;
    private readonly HttpClient _http = new() { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(10) };
    private UpdateServerHost _server = null!;

    public RestCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        _http.BaseAddress = _server.HttpAddress;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Rollout_CreateStatusPauseOverRest_IsWhatTheCliShows()
    {
        Assert.StartsWith("published: iris-classifier 1.0.0", Ok("publish", Repo.Model("iris_classifier.edgepkg")).StdOut);
        await _server.RegisterAsync("kiosk-1");

        var (createStatus, created) = await SendAsync(HttpMethod.Post, "/api/v1/rollouts",
            """{"model":"iris-classifier","version":"1.0.0","strategy":"ROLLOUT_STRATEGY_STAGED","stages":[50,100],"onFailure":"FAILURE_ACTION_PAUSE"}""");
        Assert.Equal(HttpStatusCode.OK, createStatus);
        var id = JsonParser.Default.Parse<Rollout>(created).Id;

        var (status, restJson) = await SendAsync(HttpMethod.Get, $"/api/v1/rollouts/{id}");
        var cliJson = Ok("rollout", "status", id, "--json").StdOut;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(cliJson), JsonNode.Parse(restJson)), $"edge: {cliJson}\nREST: {restJson}"); // the same document, not just the same facts
        Assert.Contains($"{id}  iris-classifier 1.0.0  Staged  active  stage 1/2 (50%)", Ok("rollout", "status", id).StdOut);

        var (pauseStatus, paused) = await SendAsync(HttpMethod.Post, $"/api/v1/rollouts/{id}:pause", """{"reason":"maintenance window"}""");

        Assert.Equal(HttpStatusCode.OK, pauseStatus);
        var text = Ok("rollout", "status", id).StdOut;
        Assert.Contains($"{id}  iris-classifier 1.0.0  Staged  paused  stage 1/2 (50%)", text);
        Assert.Contains("reason: paused by operator: maintenance window", text);
        var shown = JsonParser.Default.Parse<Rollout>(Ok("rollout", "status", id, "--json").StdOut);
        Assert.Equal("paused", shown.History[^1].Action); // the pause is in the history
        Assert.Contains("maintenance window", shown.History[^1].Reason);
        shown.History.Clear(); // which only GetRollout returns: the pause answers the rollout itself
        Assert.Equal(shown, JsonParser.Default.Parse<Rollout>(paused));

        // And back: what the CLI does, REST reads.
        Ok("rollout", "resume", id, "--reason", "window over");
        var (_, resumed) = await SendAsync(HttpMethod.Get, $"/api/v1/rollouts/{id}");
        Assert.Equal(("active", "resumed by operator: window over"), (JsonParser.Default.Parse<Rollout>(resumed).State, JsonParser.Default.Parse<Rollout>(resumed).StateReason));
        Assert.Contains("PauseRollout", Ok("audit", "--target", "rollout " + id).StdOut);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + UpdateServerHost.OperatorToken);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private ProcessResult Ok(params string[] args)
    {
        var run = ProcessRunner.Run(_edge, [.. args, "--server", _server.Address.ToString()], TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
        Assert.True(run.ExitCode == 0, $"edge {string.Join(' ', args)} failed: {run.All}");
        return run;
    }
}
