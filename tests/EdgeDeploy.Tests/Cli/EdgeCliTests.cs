using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>The AOT-published `edge` binary, run as a user would.</summary>
[Collection(AotCollection.Name)]
public sealed class EdgeCliTests
{
    private readonly string _edge;

    public EdgeCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    [Fact]
    public void Info_Json_ListsSchemaAndProvider()
    {
        var run = Edge("info", Repo.Model("iris_classifier.onnx"), "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.StdOut);
        var input = doc.RootElement.GetProperty("inputs")[0];
        Assert.Equal("features", input.GetProperty("name").GetString());
        Assert.Equal("float", input.GetProperty("type").GetString());
        Assert.Equal([-1, 4], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("batch", input.GetProperty("dimensionNames")[0].GetString());
        Assert.Equal("cpu", doc.RootElement.GetProperty("executionProvider").GetProperty("active").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("outputs").GetArrayLength());
    }

    [Fact]
    public void Info_Text_PrintsShapesWithDimensionNames()
    {
        var run = Edge("info", Repo.Model("iris_classifier.onnx"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("  features: float32[batch, 4]", run.StdOut);
        Assert.Contains("  label: int64[batch]", run.StdOut);
    }

    [Fact]
    public void Predict_JsonlTestSet_PrintsOneMatchingLinePerInput()
    {
        var run = Edge("predict", Repo.Model("iris_classifier.onnx"), "--input", "@" + Repo.Model("iris_classifier.e2e.jsonl"));

        Assert.True(run.ExitCode == 0, run.All);
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var expected = TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), model.Schema);
        var lines = run.StdOut.TrimEnd().Split('\n');
        Assert.Equal(expected.Count, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var probabilities = TensorJson.ReadTensor(doc.RootElement.GetProperty("probabilities"), "probabilities", EdgeElementType.Float);
            EdgeRuntime.Inference.PredictTests.AssertClose(expected[i].Expected["probabilities"].AsSpan<float>(), probabilities.AsSpan<float>(), 1e-5f);
            Assert.Equal(expected[i].Expected["label"].AsSpan<long>()[0], doc.RootElement.GetProperty("label").GetProperty("data")[0].GetInt64());
        }
    }

    [Fact]
    public void Predict_InlineJson_PrintsPrediction()
    {
        var run = Edge("predict", Repo.Model("iris_classifier.onnx"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}""");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.StdOut);
        Assert.Equal(2, doc.RootElement.GetProperty("label").GetProperty("data")[0].GetInt64());
    }

    [Fact]
    public void Predict_BadLinesInJsonl_ReportEachErrorAndKeepGoing()
    {
        var file = Path.Combine(Repo.Artifacts("cli-tests"), "mixed.jsonl");
        File.WriteAllLines(file,
        [
            """{"features": [[5.1, 3.5, 1.4, 0.2]]}""",
            """{"features": [[5.1, "NaN", 1.4, 0.2]]}""",
            """{"features": [[5.1, 3.5, 1.4]]}""",
            """{"features": [[5.1, 3.5""",
            """{"features": [[6.7, 3.0, 5.2, 2.3]]}""",
        ]);

        var run = Edge("predict", Repo.Model("iris_classifier.onnx"), "-i", "@" + file);

        Assert.Equal(1, run.ExitCode);
        var lines = run.StdOut.TrimEnd().Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal(0, JsonDocument.Parse(lines[0]).RootElement.GetProperty("label").GetProperty("data")[0].GetInt64());
        Assert.Equal("NonFiniteInput", ErrorCode(lines[1]));
        Assert.Equal("InputShapeMismatch", ErrorCode(lines[2]));
        Assert.Equal("InvalidJson", ErrorCode(lines[3]));
        Assert.Equal(2, JsonDocument.Parse(lines[4]).RootElement.GetProperty("label").GetProperty("data")[0].GetInt64());
        Assert.Contains("error: NonFiniteInput: Input 'features' contains NaN at flat index 1", run.StdErr);
    }

    [Fact]
    public void Predict_AllowNonFinite_PassesNaNThrough()
    {
        var run = Edge("predict", Repo.Model("iris_classifier.onnx"), "--allow-nonfinite", "-i", """{"features": [[5.1, "NaN", 1.4, 0.2]]}""");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("\"NaN\"", run.StdOut);
    }

    [Fact]
    public void Predict_MissingModel_ExitsTwoWithReason()
    {
        var run = Edge("predict", "/nonexistent.onnx", "-i", "{}");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: ModelNotFound: Model file '/nonexistent.onnx' does not exist.", run.StdErr.Trim());
    }

    [Fact]
    public void Predict_CudaOnCpuBuild_ExitsTwoWithProviderError()
    {
        var run = Edge("predict", Repo.Model("iris_classifier.onnx"), "--provider", "cuda", "-i", "{}");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ExecutionProviderUnavailable: CUDA was requested but is unavailable", run.StdErr.Trim());
    }

    [Fact]
    public void Bench_Json_ReportsEveryVariantAndTelemetryCounts()
    {
        var run = Edge("bench", Repo.Model("iris_classifier.onnx"), "--iterations", "2000", "--warmup", "100", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var doc = JsonDocument.Parse(run.StdOut);
        var variants = doc.RootElement.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(["raw onnxruntime (iobinding)", "edge fast path", "edge predict", "edge predict + telemetry"], variants.Select(v => v.GetProperty("name").GetString()));
        Assert.All(variants, v =>
        {
            Assert.Equal(2000, v.GetProperty("iterations").GetInt32());
            Assert.True(v.GetProperty("p50Micros").GetDouble() > 0);
            Assert.True(v.GetProperty("p99Micros").GetDouble() >= v.GetProperty("p50Micros").GetDouble());
        });
        Assert.Equal(1.0, variants[0].GetProperty("p50RatioToRaw").GetDouble());
        Assert.Equal(0.0, variants[0].GetProperty("bytesPerPredict").GetDouble());
        Assert.Equal(0.0, variants[1].GetProperty("bytesPerPredict").GetDouble());
        Assert.True(variants[2].GetProperty("bytesPerPredict").GetDouble() > 0, "the convenient path allocates its result");
        var telemetry = doc.RootElement.GetProperty("telemetry");
        Assert.Equal(2100, telemetry.GetProperty("recorded").GetInt64()); // 100 warm-up + 2000 timed calls
        Assert.Equal(2100, telemetry.GetProperty("committed").GetInt64() + telemetry.GetProperty("droppedInMemory").GetInt64());
        Assert.True(telemetry.GetProperty("p50OverheadRatio").GetDouble() > 0);
        Assert.DoesNotContain("benchmarking", run.StdErr, StringComparison.Ordinal); // a pipe gets no progress line
    }

    [Fact]
    public void Bench_OnATerminal_ShowsAProgressLineOnStderr()
    {
        // util-linux `script` runs the command on a pseudo-terminal, as a person at a shell would.
        var command = $"'{_edge}' bench '{Repo.Model("iris_classifier.onnx")}' --iterations 2000 --warmup 100 --json";
        var run = ProcessRunner.Run("script", ["-qec", command, "/dev/null"], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        // The runner splits output at \r as at \n, so the self-overwriting line reads as lines of its own.
        Assert.Matches(@"benchmarking iris_classifier\.onnx: [\d,]+ of [\d,]+ timed calls \(\d+%", run.StdOut);
    }

    [Fact]
    public void Bench_Json_ReportsTheConvenientPathAgainstItsGoal()
    {
        var run = Edge("bench", Repo.Model("iris_classifier.onnx"), "--iterations", "1000", "--warmup", "100", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var doc = JsonDocument.Parse(run.StdOut);
        var convenient = doc.RootElement.GetProperty("convenientPath");
        Assert.Equal(1.15, convenient.GetProperty("goalP50Ratio").GetDouble());
        Assert.Equal(512, convenient.GetProperty("goalBytesPerPredict").GetInt32());
        Assert.InRange(convenient.GetProperty("bytesPerPredict").GetDouble(), 1, 512); // exact: the result objects only
        Assert.True(convenient.GetProperty("p50RatioToRaw").GetDouble() > 0);
    }

    [Fact]
    public void Bench_Concurrency_ReportsUnbatchedAndBatchedModes()
    {
        var run = Edge("bench", Repo.Model("iris_classifier.onnx"), "--concurrency", "4", "--batching", "max=4,delay=500us", "--iterations", "400", "--warmup", "40", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var doc = JsonDocument.Parse(run.StdOut);
        var modes = doc.RootElement.GetProperty("modes").EnumerateArray().ToList();
        Assert.Equal(["unbatched", "batched (max 4, delay 0.5 ms)"], modes.Select(m => m.GetProperty("name").GetString()));
        Assert.All(modes, m => Assert.True(m.GetProperty("perSecond").GetDouble() > 0));
        Assert.Equal(1.0, modes[0].GetProperty("meanBatch").GetDouble());
        Assert.InRange(modes[1].GetProperty("meanBatch").GetDouble(), 1.0, 4.0);
    }

    [Fact]
    public void Bench_BatchingMalformed_ExitsTwoNamingTheValue()
    {
        var run = Edge("bench", Repo.Model("iris_classifier.onnx"), "--concurrency", "4", "--batching", "max=x", "--iterations", "400");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: InvalidArgument: --batching 'max=x'", run.StdErr);
    }

    [Fact]
    public void Bench_TooFewIterations_ExitsTwo()
    {
        var run = Edge("bench", Repo.Model("iris_classifier.onnx"), "--iterations", "5");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--iterations must be at least 100", run.StdErr);
    }

    [Fact]
    public void Bench_DynamicCnnWithShape_InfersOutputShapesAndKeepsTheFastPathAllocationFree()
    {
        // cnn_dynamic's feature_map has unnamed spatial dimensions: only a first run can size it.
        var run = Edge("bench", Repo.Model("cnn_dynamic.onnx"), "--shape", "image=1,3,40,56", "--iterations", "200", "--warmup", "20", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var doc = JsonDocument.Parse(run.StdOut);
        var variants = doc.RootElement.GetProperty("variants").EnumerateArray().ToList();
        Assert.Equal(4, variants.Count);
        Assert.Equal(0.0, variants[0].GetProperty("bytesPerPredict").GetDouble());
        Assert.Equal(0.0, variants[1].GetProperty("bytesPerPredict").GetDouble());

        // The convenient path returns the 1x64x10x14 feature map (35,840 bytes of floats) among its outputs.
        Assert.True(variants[2].GetProperty("bytesPerPredict").GetDouble() >= 64 * 10 * 14 * sizeof(float), run.StdOut);
    }

    [Fact]
    public void Bench_MultiInputModelWithRealData_RunsOnTheGivenInputs()
    {
        using var dir = new TempDirectory();
        var input = Path.Combine(dir.Path, "input.json");
        var x = string.Join(",", Enumerable.Range(0, 2 * 5 * 8).Select(i => (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.WriteAllText(input, "{\"x\":{\"shape\":[2,5,8],\"data\":[" + x + "]},\"mask\":{\"shape\":[2,5],\"data\":[1,1,1,0,0,1,0,0,0,0]}}");

        var run = Edge("bench", Repo.Model("masked_pool.onnx"), "--input", "@" + input, "--iterations", "200", "--warmup", "10");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("model masked_pool.onnx, provider cpu", run.StdOut);
        Assert.Contains("edge fast path", run.StdOut);
    }

    [Theory]
    [InlineData("nope=1,2", "UnexpectedInput: --shape names 'nope'")]
    [InlineData("image=1,3,x,4", "InvalidArgument: --shape 'image=1,3,x,4' is not NAME=d0,d1,...")]
    [InlineData("image=1,3,0,4", "InvalidArgument: --shape 'image=1,3,0,4' is not NAME=d0,d1,...")]
    [InlineData("image=1,3", "InputRankMismatch: Input 'image' has rank 2")]
    public void Bench_BadShape_ExitsTwoWithTheCode(string shape, string expected)
    {
        var run = Edge("bench", Repo.Model("cnn_dynamic.onnx"), "--shape", shape, "--iterations", "100");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: " + expected, run.StdErr.Trim());
    }

    private static string? ErrorCode(string line) =>
        JsonDocument.Parse(line).RootElement.GetProperty("error").GetProperty("code").GetString();

    private ProcessResult Edge(params string[] args) => ProcessRunner.Run(_edge, args, TimeSpan.FromMinutes(2));
}
