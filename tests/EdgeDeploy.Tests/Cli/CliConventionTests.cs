using System.Net;
using System.Net.Sockets;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>
/// Issue 15's CLI conventions against the AOT-published `edge`: exit 0 ok, 1 some inputs failed, 2 could not run
/// (usage errors included); errors as <c>error: Code: message</c> with one code; hints where a user is likely lost.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class CliConventionTests : IAsyncLifetime
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();
    private UpdateServerHost _server = null!;

    public CliConventionTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(new string[0], "error: Usage: Required command was not provided.")]
    [InlineData(new[] { "predict", "models/iris_classifier.onnx" }, "error: Usage: Option '--input' is required.")]
    [InlineData(new[] { "verify", "models/iris_classifier.edgepkg" }, "error: Usage: Option '--trust' is required.")]
    [InlineData(new[] { "preditc" }, "error: Usage: ")]
    public void UsageErrors_ExitTwoWithAUsageCode(string[] args, string expected)
    {
        var run = Run(args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(expected, run.StdErr);
        Assert.Contains("Run 'edge help", run.StdErr);
    }

    [Fact]
    public void MistypedVerb_SuggestsTheClosestVerb()
    {
        var run = Run(["preditc", "models/iris_classifier.onnx"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Did you mean 'predict'?", run.StdErr);
    }

    [Fact]
    public void Help_AsAVerb_ListsVerbsAndExplainsOne()
    {
        var all = Run(["help"]);
        var one = Run(["help", "rollout", "create"]);

        Assert.Equal((0, 0), (all.ExitCode, one.ExitCode));
        Assert.Contains("predict", all.StdOut);
        Assert.Contains("monitor", all.StdOut);
        Assert.Contains("--strategy", one.StdOut);
        Assert.Equal(Run(["rollout", "create", "--help"]).StdOut, one.StdOut);
    }

    [Fact]
    public void MissingFile_IsACodedError()
    {
        var run = Run(["predict", "models/iris_classifier.onnx", "-i", "@" + _temp.File("no-such.jsonl")]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: FileNotFound: Could not find file '" + _temp.File("no-such.jsonl") + "'", run.StdErr);
    }

    [Fact]
    public void Publish_MalformedPackage_NamesOneCode()
    {
        var junk = _temp.File("junk.edgepkg");
        File.WriteAllText(junk, "not a package");

        var run = Fleet("publish", junk);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: PackageMalformed: ", run.StdErr);
        Assert.DoesNotContain("InvalidArgument: PackageMalformed", run.StdErr);
    }

    [Fact]
    public void Predict_OnAPackage_HintsAtTheStore()
    {
        var run = Run(["predict", "models/iris_classifier.edgepkg", "-i", """{"features": [[5.1, 3.5, 1.4, 0.2]]}"""]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: InvalidModel: 'models/iris_classifier.edgepkg' is an EdgeDeploy package, not an .onnx model.", run.StdErr);
        Assert.Contains("edge store install", run.StdErr);
        Assert.DoesNotContain("Protobuf", run.StdErr);
    }

    [Fact]
    public void Verify_MissingTrustFolder_SaysSoAndNotThatThePackageIsInvalid()
    {
        var missing = _temp.File("no-such-trust");

        var run = Run(["verify", "models/iris_classifier.edgepkg", "--trust", missing]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: FileMissing: Trust directory '{missing}' does not exist", run.StdErr);
        Assert.DoesNotContain("invalid", run.StdErr);
    }

    [Fact]
    public void UnreachableServer_ErrorNamesTheAddress()
    {
        var address = $"http://127.0.0.1:{UnusedPort()}";

        var run = ProcessRunner.Run(_edge, ["devices", "--server", address], TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: Unavailable: cannot reach the update server at {address} (--server or EDGE_SERVER): ", run.StdErr);
    }

    [Fact]
    public void CanaryWithoutPercent_NamesTheOption()
    {
        Assert.Equal(0, Fleet("publish", Repo.Model("iris_classifier.edgepkg")).ExitCode);

        var run = Fleet("rollout", "create", "--model", "iris-classifier", "--version", "1.0.0", "--strategy", "canary");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--percent", run.StdErr);
        Assert.DoesNotContain("canary_percent", run.StdErr);
    }

    [Fact]
    public void StoreInstall_SampleTrustFolder_IsNotWritten()
    {
        // A copy of the repository's models/trust (root-v1.json, root.json): installing must leave it byte for byte as it was.
        var trust = _temp.File("trust");
        Directory.CreateDirectory(trust);
        foreach (var file in Directory.GetFiles(Path.Combine(Repo.Models, "trust")))
        {
            File.Copy(file, Path.Combine(trust, Path.GetFileName(file)));
        }

        var before = Snapshot(trust);

        var install = Run(["store", "install", Repo.Model("iris_classifier.edgepkg"), "--store", _temp.File("store"), "--trust", trust]);
        var status = Run(["store", "status", "--store", _temp.File("store"), "--trust", trust]);

        Assert.True(install.ExitCode == 0, install.All);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(before, Snapshot(trust));
        Assert.True(File.Exists(Path.Combine(_temp.File("store"), "trust-state.json")));
    }

    private static string Snapshot(string directory) =>
        string.Join("\n", Directory.GetFiles(directory).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + ":" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private ProcessResult Run(string[] args) => ProcessRunner.Run(_edge, args, TimeSpan.FromMinutes(1));

    private ProcessResult Fleet(params string[] args) =>
        ProcessRunner.Run(_edge, [.. args, "--server", _server.Address.ToString()], TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
}
