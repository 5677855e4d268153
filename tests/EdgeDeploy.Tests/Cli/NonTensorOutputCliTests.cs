using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>Sequence, map and optional outputs through the AOT-published `edge` binary: predict's JSON, info and pack.</summary>
[Collection(AotCollection.Name)]
public sealed class NonTensorOutputCliTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public NonTensorOutputCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Predict_ZipMapClassifier_PrintsTheSequenceOfMaps()
    {
        var run = Edge("predict", Repo.Model("iris_zipmap.onnx"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3], [5.1, 3.5, 1.4, 0.2]]}""");

        Assert.True(run.ExitCode == 0, run.All);
        using var doc = JsonDocument.Parse(run.StdOut);
        Assert.Equal([2L, 0L], doc.RootElement.GetProperty("label").GetProperty("data").EnumerateArray().Select(e => e.GetInt64()));
        var rows = doc.RootElement.GetProperty("output_probability").GetProperty("sequence");
        Assert.Equal(2, rows.GetArrayLength());
        var map = rows[0].GetProperty("map");
        Assert.Equal([0L, 1L, 2L], map.GetProperty("keys").EnumerateArray().Select(e => e.GetInt64()));
        var p = map.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(1.0, p.Sum(), 5);
        Assert.Equal(2, Array.IndexOf(p, p.Max()));
    }

    [Fact]
    public void Predict_SequenceAndOptionalOutputs_PrintsSequencesStringKeysAndNull()
    {
        var sequences = Edge("predict", Repo.Model("sequence_outputs.onnx"), "-i", """{"x": [[1, -2, 3]]}""");
        var optional = Edge("predict", Repo.Model("optional_outputs.onnx"), "-i", """{"x": [1, 2]}""");
        var positive = Edge("predict", Repo.Model("optional_positive.onnx"), "-i", """{"x": [1, 2]}""");

        Assert.True(sequences.ExitCode == 0, sequences.All);
        using var s = JsonDocument.Parse(sequences.StdOut);
        var parts = s.RootElement.GetProperty("parts").GetProperty("sequence");
        Assert.Equal([1.0, 0.0, 3.0], parts[1].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        // ONNX Runtime's ZipMap keeps string keys in a sorted map, whatever order classlabels_strings gives.
        Assert.Equal(["bird", "cat", "dog"], s.RootElement.GetProperty("named_scores").GetProperty("sequence")[0].GetProperty("map").GetProperty("keys").EnumerateArray().Select(e => e.GetString()));
        Assert.True(optional.ExitCode == 0, optional.All);
        using var o = JsonDocument.Parse(optional.StdOut);
        Assert.Equal([1.0, 2.0], o.RootElement.GetProperty("present").GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(JsonValueKind.Null, o.RootElement.GetProperty("absent").ValueKind);
        Assert.True(positive.ExitCode == 0, positive.All);
        using var p = JsonDocument.Parse(positive.StdOut);
        Assert.Equal([1.0, 2.0], p.RootElement.GetProperty("positive").GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
    }

    [Fact]
    public void Info_ZipMapClassifier_DescribesTheOutputKind()
    {
        var text = Edge("info", Repo.Model("iris_zipmap.onnx"));
        var json = Edge("info", Repo.Model("iris_zipmap.onnx"), "--json");

        Assert.True(text.ExitCode == 0, text.All);
        Assert.Contains("  output_probability: seq(map(int64, float32))", text.StdOut);
        using var doc = JsonDocument.Parse(json.StdOut);
        var output = doc.RootElement.GetProperty("outputs")[1];
        Assert.Equal("sequence", output.GetProperty("kind").GetString());
        Assert.Equal("seq(map(int64, float32))", output.GetProperty("onnxType").GetString());
    }

    [Fact]
    public void Pack_ZipMapTestSetAndProbabilityMetric_BuildsAndChecksThePackage()
    {
        var pack = Edge("pack", "--model", Repo.Model("iris_zipmap.onnx"), "--name", "iris-zipmap", "--version", "1.0.0",
            "--card", Repo.Model("iris_classifier.card.json"), "--e2e", Repo.Model("iris_zipmap.e2e.jsonl"),
            "--confidence", Repo.Model("iris_classifier.confidence.jsonl"), "--metric", "accuracy", "--metric-output", "output_probability",
            "--metric-min", "0.85", "--metric-max", "1", "--train", Repo.Model("iris_classifier.train.csv"), "--out", _temp.File("zipmap.edgepkg"));

        Assert.True(pack.ExitCode == 0, pack.All);
        Assert.Contains("45 end-to-end and 45 confidence cases, unsigned", pack.StdOut);
    }

    private ProcessResult Edge(params string[] args) => ProcessRunner.Run(_edge, args, TimeSpan.FromMinutes(2));
}
