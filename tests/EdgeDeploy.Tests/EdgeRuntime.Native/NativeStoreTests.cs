using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntimeNative;

/// <summary>
/// The device store and update agent through the C ABI: the C sample (gcc, linked to libedgeagent.so, which adds the agent)
/// and the Python sample (ctypes on libedgeruntime.so, which has the store but no agent) install the signed sample package
/// through the gate, serve it, switch to the signed update and roll back, printing what the .NET API computes; the agent
/// starts in the background, reports its check-in and stops.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class NativeStoreTests : IDisposable
{
    private readonly string _lib;
    private readonly TempDirectory _temp = new();

    public NativeStoreTests(AotArtifacts artifacts) => _lib = artifacts.RequireAgentLibrary();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CStoreSample_Gcc_InstallsServesSwitchesAndRollsBack()
    {
        var binary = CompileC();

        var run = ProcessRunner.Run(binary, SampleArguments(), TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Expected(), run.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void PythonStoreSample_Ctypes_InstallsServesSwitchesAndRollsBack()
    {
        var run = ProcessRunner.Run("python3", [Path.Combine(Repo.Root, "samples", "native", "store_iris.py"), Path.Combine(_lib, "libedgeruntime.so"), .. SampleArguments()], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(Expected(), run.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void CStoreSample_AgentWithoutServer_ReportsUnavailableAndStops()
    {
        var binary = CompileC();
        var key = _temp.File("server.pub.pem");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(key, ecdsa.ExportSubjectPublicKeyInfoPem());
        }

        // Port 9 (discard) on loopback: nothing listens, so the check-in fails fast and the store keeps serving.
        var config = $$"""{"server":"http://127.0.0.1:9","device_id":"native-sample","enrollment_token":"t","server_key_file":"{{key}}","state_dir":"{{_temp.File("agent")}}","interval_seconds":30}""";

        var run = ProcessRunner.Run("bash", ["-c", $"EDGE_AGENT_CONFIG='{config}' '{binary}' {string.Join(' ', SampleArguments().Select(a => $"'{a}'"))}"], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains($"agent: 1 check-in(s), last {(int)EdgeErrorCode.UpdateServerUnavailable} UpdateServerUnavailable: Unavailable", run.StdOut);
        Assert.EndsWith("agent stopped\n", run.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void CStoreSample_TamperedUpdate_RefusedWithCodeAndFirstVersionKeepsServing()
    {
        var binary = CompileC();
        var tampered = _temp.File("tampered.edgepkg");
        File.WriteAllBytes(tampered, ZipEdit.Replace(File.ReadAllBytes(Repo.Model("iris_classifier_v2.edgepkg")), "model.onnx", b => [.. b[..^1], (byte)(b[^1] ^ 1)]));
        var args = SampleArguments();
        args[3] = tampered;

        var run = ProcessRunner.Run(binary, args, TimeSpan.FromMinutes(2));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"install failed: {(int)EdgeErrorCode.FileHashMismatch} FileHashMismatch:", run.StdErr);
        Assert.StartsWith("installed 1.0.0: activated\nserved by 1.0.0:", run.StdOut.ReplaceLineEndings("\n"));
        Assert.Equal(["1.0.0"], Directory.GetDirectories(Path.Combine(args[0], "versions")).Select(Path.GetFileName));
    }

    [Fact]
    public void RecordGroundTruthText_ThroughTheCAbi_IsRecordedAsTruth_BadArgumentsAreRefusedWithoutThrowing()
    {
        var args = SampleArguments();
        var telemetry = _temp.File("telemetry.db");
        var id = Guid.NewGuid();
        var script = _temp.File("truth_text.py");
        File.WriteAllText(script, """
            import ctypes, sys
            lib = ctypes.CDLL(sys.argv[1])
            p = ctypes.c_void_p
            lib.edge_last_error.restype = ctypes.c_char_p
            lib.edge_store_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(p)]
            lib.edge_store_record_ground_truth_text.argtypes = [p, ctypes.c_char_p, ctypes.c_char_p]
            lib.edge_store_close.argtypes = [p]
            store = p()
            assert lib.edge_store_open(sys.argv[2].encode(), sys.argv[3].encode(), sys.argv[4].encode(), ctypes.byref(store)) == 0, lib.edge_last_error()
            pid = sys.argv[5].encode()
            for what, rc in [
                    ("text", lib.edge_store_record_ground_truth_text(store, pid, "Model 42 ships ✓".encode())),
                    ("null text", lib.edge_store_record_ground_truth_text(store, pid, None)),
                    ("bad id", lib.edge_store_record_ground_truth_text(store, b"not-an-id", b"x")),
                    ("too long", lib.edge_store_record_ground_truth_text(store, pid, b"a" * 1025)),
                    ("null store", lib.edge_store_record_ground_truth_text(None, pid, b"x"))]:
                print(what, rc, lib.edge_last_error().decode().split(":")[0] if rc else "")
            print("close", lib.edge_store_close(store))
            """);

        var run = ProcessRunner.Run("python3", [script, Path.Combine(_lib, "libedgeruntime.so"), args[0], args[1], telemetry, id.ToString("D")], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        var invalid = (int)EdgeErrorCode.InvalidArgument;
        Assert.Equal($"text 0 \nnull text {invalid} InvalidArgument\nbad id {invalid} InvalidArgument\ntoo long {invalid} InvalidArgument\nnull store {invalid} InvalidArgument\nclose 0\n", run.StdOut.ReplaceLineEndings("\n"));
        using var recorder = EdgeDeploy.Runtime.Telemetry.TelemetryRecorder.Open(new EdgeDeploy.Runtime.Telemetry.TelemetryOptions { DatabasePath = telemetry });
        var truth = EdgeDeploy.Runtime.Telemetry.TelemetryCodec.DecodeGroundTruth(Assert.Single(recorder.ReadBatch()!.Records).Payload);
        Assert.Equal(id, truth.PredictionId);
        Assert.True(double.IsNaN(truth.Label));
        Assert.Equal("Model 42 ships \u2713", truth.Truth!["text"].AsSpan<string>()[0]);
    }

    [Fact]
    public void RecordGroundTruthBoxes_CompiledAgainstTheHeader_IsRecordedAsTruth_BadArgumentsAreRefusedWithoutThrowing()
    {
        var args = SampleArguments();
        var telemetry = _temp.File("telemetry.db");
        var id = Guid.NewGuid().ToString("D");
        var source = _temp.File("truth_boxes.c");
        File.WriteAllText(source, """
            #include <math.h>
            #include <stdio.h>
            #include <string.h>
            #include "edgeruntime.h"

            static void show(const char *what, int rc) {
                const char *e = rc ? edge_last_error() : "";
                printf("%s %d %.*s\n", what, rc, (int)strcspn(e, ":"), e);
            }

            int main(int argc, char **argv) {
                edge_store *store = NULL;
                if (edge_store_open(argv[1], argv[2], argv[3], &store) != 0) { fprintf(stderr, "%s\n", edge_last_error()); return 1; }
                const char *id = argv[4];
                float boxes[8] = {10, 20, 110, 220, 0.5f, 0.5f, 4, 4};
                int64_t classes[2] = {3, 0};
                float bad[4] = {0, 0, NAN, 1};
                int64_t negative[1] = {-1};
                int64_t huge[1] = {(int64_t)1 << 40};
                static float many[4 * 101];
                static int64_t many_classes[101];
                show("boxes", edge_store_record_ground_truth_boxes(store, id, boxes, classes, 2));
                show("nothing", edge_store_record_ground_truth_boxes(store, id, NULL, NULL, 0));
                show("null arrays", edge_store_record_ground_truth_boxes(store, id, NULL, classes, 2));
                show("too many", edge_store_record_ground_truth_boxes(store, id, many, many_classes, 101));
                show("negative count", edge_store_record_ground_truth_boxes(store, id, boxes, classes, -1));
                show("non-finite", edge_store_record_ground_truth_boxes(store, id, bad, classes, 1));
                show("negative class", edge_store_record_ground_truth_boxes(store, id, boxes, negative, 1));
                show("huge class", edge_store_record_ground_truth_boxes(store, id, boxes, huge, 1));
                show("bad id", edge_store_record_ground_truth_boxes(store, "not-an-id", boxes, classes, 1));
                show("null store", edge_store_record_ground_truth_boxes(NULL, id, boxes, classes, 1));
                show("close", edge_store_close(store));
                return 0;
            }
            """);
        var binary = _temp.File("truth_boxes");
        var gcc = ProcessRunner.Run("gcc", ["-Wall", "-Werror", "-I" + Path.Combine(_lib, "include"), source, "-L" + _lib, "-ledgeruntime", "-Wl,-rpath," + _lib, "-o", binary], TimeSpan.FromMinutes(1));
        Assert.True(gcc.ExitCode == 0, gcc.All);

        var run = ProcessRunner.Run(binary, [args[0], args[1], telemetry, id], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        var invalid = (int)EdgeErrorCode.InvalidArgument;
        string[] refused = ["null arrays", "too many", "negative count", "non-finite", "negative class", "huge class", "bad id", "null store"];
        Assert.Equal(
            $"boxes 0 \nnothing 0 \n{string.Concat(refused.Select(r => $"{r} {invalid} InvalidArgument\n"))}close 0 \n",
            run.StdOut.ReplaceLineEndings("\n"));

        // Two truths recorded, nothing from the refused calls: the boxes with their classes, then an empty image.
        using var recorder = EdgeDeploy.Runtime.Telemetry.TelemetryRecorder.Open(new EdgeDeploy.Runtime.Telemetry.TelemetryOptions { DatabasePath = telemetry });
        var truths = recorder.ReadBatch()!.Records.Select(r => EdgeDeploy.Runtime.Telemetry.TelemetryCodec.DecodeGroundTruth(r.Payload)).ToList();
        Assert.Equal(2, truths.Count);
        Assert.All(truths, t => Assert.Equal((Guid.Parse(id), true), (t.PredictionId, double.IsNaN(t.Label))));
        Assert.Equal([10f, 20f, 110f, 220f, 0.5f, 0.5f, 4f, 4f], truths[0].Truth!["boxes"].ToArray<float>());
        Assert.Equal([3L, 0L], truths[0].Truth!["classes"].ToArray<long>());
        Assert.Equal(0, truths[1].Truth!["boxes"].ElementCount);
    }

    /// <summary>A fresh store and a device trust directory holding the samples' root (it records the highest versions seen).</summary>
    private string[] SampleArguments()
    {
        var trust = _temp.File("trust");
        Directory.CreateDirectory(trust);
        File.Copy(Path.Combine(Repo.Models, "trust", "root.json"), Path.Combine(trust, "root.json"), overwrite: true);
        return [_temp.File("store"), trust, Repo.Model("iris_classifier.edgepkg"), Repo.Model("iris_classifier_v2.edgepkg")];
    }

    private string CompileC()
    {
        var binary = _temp.File("store_iris");
        var gcc = ProcessRunner.Run("gcc", ["-Wall", "-Werror", "-I" + Path.Combine(_lib, "include"), Path.Combine(Repo.Root, "samples", "native", "store_iris.c"), "-L" + _lib, "-ledgeagent", "-Wl,-rpath," + _lib, "-o", binary], TimeSpan.FromMinutes(1));
        Assert.True(gcc.ExitCode == 0, gcc.All);
        return binary;
    }

    /// <summary>What both samples print, computed with the .NET API on the two sample models.</summary>
    private static string Expected()
    {
        using var v1 = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        using var v2 = EdgeModel.Load(Repo.Model("iris_classifier_v2.onnx"));
        var text = new StringBuilder();
        text.Append("installed 1.0.0: activated\n");
        Served(text, "1.0.0", v1, [5.1f, 3.5f, 1.4f, 0.2f]);
        text.Append("installed 2.0.0: activated\n");
        Served(text, "2.0.0", v2, [6.3f, 2.5f, 4.9f, 1.5f]);
        text.Append("rolled back to 1.0.0\n");
        Served(text, "1.0.0", v1, [6.7f, 3.0f, 5.2f, 2.3f]);
        return text.ToString();
    }

    private static void Served(StringBuilder text, string version, EdgeModel model, float[] row)
    {
        var prediction = model.Predict("features", EdgeTensor.Create(row, [1, 4]));
        var p = prediction["probabilities"].AsSpan<float>();
        text.Append(CultureInfo.InvariantCulture, $"served by {version}: label={prediction["label"].AsSpan<long>()[0]} probabilities={(double)p[0]:F6},{(double)p[1]:F6},{(double)p[2]:F6}\n");
    }
}
