using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>keygen → root → trust → pack → sign → verify with the AOT-published `edge`, as an operator would.</summary>
[Collection(AotCollection.Name)]
public sealed class EdgePackageCliTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public EdgePackageCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PackSignVerify_FullOperatorFlow_VerifiesAndRejectsTampering()
    {
        var keyId = Ok("keygen", "--out", _temp.Path, "--name", "root").StdOut.Trim();
        Assert.Matches("^[0-9a-f]{64}$", keyId);
        Ok("keygen", "--out", _temp.Path, "--name", "pub");
        Ok("root", "init", "--root-key", _temp.File("root.key"), "--out", _temp.File("root-v1.json"));
        Ok("root", "add-publisher", "--root", _temp.File("root-v1.json"), "--name", "ml", "--key", _temp.File("pub.pub"), "--models", "iris-*", "--sign-key", _temp.File("root.key"), "--out", _temp.File("root-v2.json"));
        Assert.Contains("trusting root version 1", Ok("root", "trust", "--trust", _temp.File("trust"), _temp.File("root-v1.json")).StdOut);
        Assert.Contains("trusting root version 2", Ok("root", "update", "--trust", _temp.File("trust"), _temp.File("root-v2.json")).StdOut);

        var pack = Ok("pack", "--model", Repo.Model("iris_classifier.onnx"), "--name", "iris-classifier", "--version", "1.0.0",
            "--card", Repo.Model("iris_classifier.card.json"), "--e2e", Repo.Model("iris_classifier.confidence.jsonl"), "--e2e-from-model",
            "--confidence", Repo.Model("iris_classifier.confidence.jsonl"), "--metric", "accuracy", "--metric-output", "label",
            "--metric-min", "0.85", "--metric-max", "1", "--train", Repo.Model("iris_classifier.train.csv"), "--out", _temp.File("iris.edgepkg"));
        Assert.Contains("45 end-to-end and 45 confidence cases, unsigned", pack.StdOut);

        var unsigned = Edge("verify", _temp.File("iris.edgepkg"), "--trust", _temp.File("trust"));
        Assert.Equal(1, unsigned.ExitCode);
        Assert.StartsWith("invalid: SignatureThresholdNotMet", unsigned.StdErr);

        Ok("sign", _temp.File("iris.edgepkg"), "--key", _temp.File("pub.key"));
        var verified = Ok("verify", _temp.File("iris.edgepkg"), "--trust", _temp.File("trust"));
        Assert.StartsWith("valid: iris-classifier 1.0.0 signed by publisher 'ml'", verified.StdOut);

        var wrongVersion = Edge("verify", _temp.File("iris.edgepkg"), "--trust", _temp.File("trust"), "--expect-name", "iris-classifier", "--expect-version", "2.0.0");
        Assert.Equal(1, wrongVersion.ExitCode);
        Assert.StartsWith("invalid: PackageMismatch", wrongVersion.StdErr);

        File.WriteAllBytes(_temp.File("tampered.edgepkg"), ZipEdit.Replace(File.ReadAllBytes(_temp.File("iris.edgepkg")), "model.onnx", b => [.. b[..^1], (byte)(b[^1] ^ 1)]));
        var tampered = Edge("verify", _temp.File("tampered.edgepkg"), "--trust", _temp.File("trust"));
        Assert.Equal(1, tampered.ExitCode);
        Assert.StartsWith("invalid: FileHashMismatch: 'model.onnx' does not match the signed manifest", tampered.StdErr);
    }

    [Fact]
    public void Info_Package_ShowsModelCardAndGate()
    {
        var info = Ok("info", Repo.Model("iris_classifier.edgepkg"));

        Assert.Contains("package:   iris-classifier 1.0.0 (unverified", info.StdOut);
        Assert.Contains("purpose:   Classify iris flowers", info.StdOut);
        Assert.Contains("slice petal_length<2.5 (n=15): accuracy=1", info.StdOut);
        Assert.Contains("gate:      45 end-to-end cases", info.StdOut);
        Assert.Contains("Accuracy on 'label' over 45 cases in [0.85, 1]", info.StdOut);

        using var json = JsonDocument.Parse(Ok("info", Repo.Model("diabetes_regressor.edgepkg"), "--json").StdOut);
        Assert.Equal("diabetes-regressor", json.RootElement.GetProperty("name").GetString());
        Assert.Equal("Mae", json.RootElement.GetProperty("confidence").GetProperty("metric").GetString());
        Assert.Equal(10, json.RootElement.GetProperty("driftReference").GetProperty("features").GetArrayLength());
    }

    [Fact]
    public void Verify_MalformedPackage_ExitsOneWithReason()
    {
        File.WriteAllText(_temp.File("junk.edgepkg"), "not a package");
        Ok("root", "trust", "--trust", _temp.File("trust"), Path.Combine(Repo.Models, "trust", "root-v1.json"));

        var run = Edge("verify", _temp.File("junk.edgepkg"), "--trust", _temp.File("trust"));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("invalid: PackageMalformed: The package is not a valid zip archive", run.StdErr);
    }

    [Fact]
    public void Pack_TestSetNotMatchingModel_ExitsTwoNamingTheCase()
    {
        File.WriteAllText(_temp.File("bad.jsonl"), """{"inputs": {"features": [[1, 2, 3]]}, "label": 0}""" + "\n");

        var run = Edge("pack", "--model", Repo.Model("iris_classifier.onnx"), "--name", "iris-classifier", "--version", "1.0.0",
            "--card", Repo.Model("iris_classifier.card.json"), "--e2e", Repo.Model("iris_classifier.e2e.jsonl"),
            "--confidence", _temp.File("bad.jsonl"), "--metric", "accuracy", "--metric-output", "label",
            "--metric-min", "0.8", "--metric-max", "1", "--out", _temp.File("x.edgepkg"));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: InputShapeMismatch: Confidence case 0: Input 'features' has shape [1, 3]", run.StdErr.Trim());
        Assert.False(File.Exists(_temp.File("x.edgepkg")));
    }

    private ProcessResult Ok(params string[] args)
    {
        var run = Edge(args);
        Assert.True(run.ExitCode == 0, $"edge {string.Join(' ', args)} failed: {run.All}");
        return run;
    }

    private ProcessResult Edge(params string[] args) => ProcessRunner.Run(_edge, args, TimeSpan.FromMinutes(2));
}
