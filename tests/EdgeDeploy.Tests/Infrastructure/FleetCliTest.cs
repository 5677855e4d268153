namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// Base of the test classes that drive the AOT-published `edge` against a real update server on 127.0.0.1: a server per
/// test (override <see cref="StartServerAsync"/> for settings), a temporary directory, and `edge` runs that name the
/// server and carry an operator token. Subclasses still carry <c>[Collection(AotCollection.Name)]</c> (xunit does not
/// inherit it).
/// </summary>
public abstract class FleetCliTest(AotArtifacts artifacts) : IAsyncLifetime
{
    /// <summary>The shared published `edge` binary.</summary>
    protected string EdgePath { get; } = artifacts.RequireEdge();

    protected TempDirectory Temp { get; } = new();

    protected UpdateServerHost Server { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Server = await StartServerAsync();

    public virtual async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Temp.Dispose();
    }

    protected virtual Task<UpdateServerHost> StartServerAsync() => UpdateServerHost.StartAsync();

    /// <summary>Runs `edge ARGS --server ADDRESS` as the built-in admin operator.</summary>
    protected ProcessResult Edge(params string[] args) => EdgeAs(UpdateServerHost.OperatorToken, args);

    /// <summary>Runs `edge ARGS --server ADDRESS` with an operator token, passed in the environment: never in argv (issue 11: argv is visible in ps).</summary>
    protected ProcessResult EdgeAs(string token, params string[] args) =>
        ProcessRunner.Run(EdgePath, [.. args, "--server", Server.Address.ToString()], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = token });

    /// <summary><see cref="Edge"/>, asserting exit code 0.</summary>
    protected ProcessResult Ok(params string[] args) => OkAs(UpdateServerHost.OperatorToken, args);

    /// <summary><see cref="EdgeAs"/>, asserting exit code 0.</summary>
    protected ProcessResult OkAs(string token, params string[] args)
    {
        var run = EdgeAs(token, args);
        Assert.True(run.ExitCode == 0, $"edge {string.Join(' ', args)} failed: {run.All}");
        return run;
    }
}
