using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntimeNative;

/// <summary>
/// libedgeruntime.so through its C ABI: the C sample compiled with gcc and the Python ctypes sample must print exactly
/// what the .NET API computes for the same rows, and bad input must come back as a code and a message.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class NativeLibraryTests : IDisposable
{
    private readonly string _lib;
    private readonly TempDirectory _temp = new();
    private readonly string _rows;

    public NativeLibraryTests(AotArtifacts artifacts)
    {
        _lib = artifacts.RequireNativeLibrary();
        _rows = string.Join('\n', ConfidenceRows().Select(r => string.Join(' ', r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))))) + "\n";
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CSample_Gcc_PrintsTheSameOutputsAsTheDotNetApi()
    {
        var binary = CompileC();

        var run = ProcessRunner.Run("bash", ["-c", $"'{binary}' '{Repo.Model("iris_classifier.onnx")}' < '{WriteRows()}'"], TimeSpan.FromMinutes(1));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Expected(), run.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void PythonSample_Ctypes_VerifiesThePackageAndPrintsTheSameOutputs()
    {
        var run = ProcessRunner.Run("bash", ["-c", $"python3 '{Path.Combine(Repo.Root, "samples", "native", "predict_iris.py")}' '{Path.Combine(_lib, "libedgeruntime.so")}' '{Repo.Model("iris_classifier.edgepkg")}' '{Path.Combine(Repo.Models, "trust")}' < '{WriteRows()}'"], TimeSpan.FromMinutes(1));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Expected(), run.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void CSample_TamperedPackage_FailsToOpenWithTheVerificationCode()
    {
        var binary = CompileC();
        var tampered = _temp.File("tampered.edgepkg");
        File.WriteAllBytes(tampered, ZipEdit.Replace(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")), "model.onnx", b => [.. b[..^1], (byte)(b[^1] ^ 1)]));

        var run = ProcessRunner.Run(binary, [tampered, Path.Combine(Repo.Models, "trust")], TimeSpan.FromMinutes(1));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"open failed: {(int)EdgeErrorCode.FileHashMismatch} FileHashMismatch: 'model.onnx' does not match the signed manifest", run.StdErr);
    }

    private string CompileC()
    {
        var binary = _temp.File("predict_iris");
        var gcc = ProcessRunner.Run("gcc", ["-Wall", "-Werror", "-I" + Path.Combine(_lib, "include"), Path.Combine(Repo.Root, "samples", "native", "predict_iris.c"), "-L" + _lib, "-ledgeruntime", "-Wl,-rpath," + _lib, "-o", binary], TimeSpan.FromMinutes(1));
        Assert.True(gcc.ExitCode == 0, gcc.All);
        return binary;
    }

    private string WriteRows()
    {
        var path = _temp.File("rows.txt");
        File.WriteAllText(path, _rows);
        return path;
    }

    /// <summary>What both samples must print, computed with the .NET API.</summary>
    private static string Expected()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var text = new StringBuilder();
        text.Append("runtime 0.1.0\ninput features type=1 shape=[-1,4]\noutput probabilities type=1 shape=[-1,3]\noutput label type=7 shape=[-1]\n");
        foreach (var row in ConfidenceRows())
        {
            var prediction = model.Predict("features", EdgeTensor.Create(row, [1, 4]));
            var p = prediction["probabilities"].AsSpan<float>();
            text.Append(CultureInfo.InvariantCulture, $"label={prediction["label"].AsSpan<long>()[0]} probabilities={(double)p[0]:F6},{(double)p[1]:F6},{(double)p[2]:F6}\n");
        }

        text.Append("bad input: 14 InputShapeMismatch: Input 'features' has shape [1, 3] but the model expects [batch, 4]: dimension 1 is 3, expected 4.\n");
        return text.ToString();
    }

    private static List<float[]> ConfidenceRows() =>
        [.. File.ReadLines(Repo.Model("iris_classifier.confidence.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("inputs").GetProperty("features").GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        })];
}
