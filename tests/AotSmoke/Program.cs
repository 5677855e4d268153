using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using Google.Protobuf;

// Exercises the library's main paths under native AOT. Prints one line per check; exits non-zero on the first failure.
var models = args.Length > 0 ? args[0] : "models";

using (var iris = EdgeModel.Load(Path.Combine(models, "iris_classifier.onnx")))
{
    var prediction = iris.Predict("features", EdgeTensor.Create(new[] { 6.7f, 3.0f, 5.2f, 2.3f }, [1, 4]));
    Check(prediction["label"].AsSpan<long>()[0] == 2, "predict iris label=2");

    using var fast = iris.CreateFastPredictor().WithShape("features", [1, 4]).Build();
    new[] { 5.1f, 3.5f, 1.4f, 0.2f }.CopyTo(fast.GetInput<float>("features"));
    fast.Run();
    Check(fast.GetOutput<long>("label")[0] == 0, "fast path iris label=0");

    var json = TensorJson.ReadInputs("""{"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}""", iris.Schema);
    var batch = iris.PredictBatch([json, json]);
    Check(batch.Count == 2 && batch[1]["label"].AsSpan<long>()[1] == 2, "json + batch");

    try
    {
        iris.Predict("features", EdgeTensor.Create(new[] { 1f, float.NaN, 3f, 4f }, [1, 4]));
        Check(false, "NaN rejected");
    }
    catch (EdgeException ex) when (ex.Code == EdgeErrorCode.NonFiniteInput)
    {
        Check(true, "NaN rejected");
    }
}

using (var all = EdgeModel.Load(Path.Combine(models, "all_types.onnx")))
{
    long[] shape = [1, 3];
    var inputs = new Dictionary<string, EdgeTensor>
    {
        ["in_float"] = EdgeTensor.Create(new[] { 1f, 2f, 3f }, shape),
        ["in_double"] = EdgeTensor.Create(new[] { 1d, 2d, 3d }, shape),
        ["in_float16"] = EdgeTensor.Create(new[] { (Half)1, (Half)2, (Half)3 }, shape),
        ["in_int8"] = EdgeTensor.Create(new sbyte[] { -1, 0, 1 }, shape),
        ["in_int16"] = EdgeTensor.Create(new short[] { -1, 0, 1 }, shape),
        ["in_int32"] = EdgeTensor.Create(new[] { -1, 0, 1 }, shape),
        ["in_int64"] = EdgeTensor.Create(new[] { -1L, 0, 1 }, shape),
        ["in_uint8"] = EdgeTensor.Create(new byte[] { 1, 2, 255 }, shape),
        ["in_uint16"] = EdgeTensor.Create(new ushort[] { 1, 2, 65535 }, shape),
        ["in_uint32"] = EdgeTensor.Create(new uint[] { 1, 2, uint.MaxValue }, shape),
        ["in_uint64"] = EdgeTensor.Create(new ulong[] { 1, 2, ulong.MaxValue }, shape),
        ["in_bool"] = EdgeTensor.Create(new[] { true, false, true }, shape),
        ["in_string"] = EdgeTensor.Create(new[] { "a", "β", "" }, shape),
    };
    var outputs = all.Predict(inputs);
    Check(outputs["out_uint64"].AsSpan<ulong>()[2] == ulong.MaxValue && outputs["out_string"].AsSpan<string>()[1] == "β"
        && outputs["out_float16"].AsSpan<Half>()[2] == (Half)3 && outputs["out_bool"].AsSpan<bool>()[1] == false, "all element types");
}

// Signed packages: roots, manifests (source-generated JSON), test sets (hand-written MessagePack formatters), ECDSA.
var trustDir = Path.Combine(Path.GetTempPath(), "aot-smoke-trust-" + Environment.ProcessId);
try
{
    var trust = TrustStore.Initialize(trustDir, File.ReadAllBytes(Path.Combine(models, "trust", "root-v1.json")));
    trust.UpdateRoot(File.ReadAllBytes(Path.Combine(models, "trust", "root.json")));
    var verified = new PackageVerifier(trust).Verify(Path.Combine(models, "iris_classifier.edgepkg"));
    var e2e = verified.ReadEndToEndSet();
    using var packaged = EdgeModel.Load(verified.ModelBytes);
    var first = packaged.Predict(e2e[0].Inputs)["label"].AsSpan<long>()[0];
    Check(verified.Publisher == "sample-publisher" && e2e.Count == 45 && first == e2e[0].ExpectedOutputs["label"].AsSpan<long>()[0], "verify signed package + test sets");

    using var key = SigningKey.Generate();
    var root = RootBuilder.CreateInitial(DateTimeOffset.UtcNow.AddDays(1)).WithRootKeys([key], 1).WithPublisher("p", [key], 1).Build([key]);
    Check(TrustStore.Initialize(trustDir + "-2", root).RootVersion == 1, "build and trust a root");
}
finally
{
    Directory.Delete(trustDir, recursive: true);
    if (Directory.Exists(trustDir + "-2"))
    {
        Directory.Delete(trustDir + "-2", recursive: true);
    }
}

var info = new ServerInfo { ServerVersion = "1.2.3", ProtocolVersion = 1 };
info.SupportedElementTypes.Add(ElementType.Float16);
var parsed = ServerInfo.Parser.ParseFrom(info.ToByteArray());
Check(parsed.Equals(info) && JsonFormatter.Default.Format(parsed).Contains("ELEMENT_TYPE_FLOAT16", StringComparison.Ordinal), "protobuf round trip");

#if EDGE_AOT_CANARY
Console.WriteLine(EdgeDeploy.AotSmoke.Canary.CountMethods(args.Length > 1 ? args[1] : "System.String"));
#endif

Console.WriteLine("aot-smoke: all checks passed");
return 0;

static void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok)
    {
        Environment.Exit(1);
    }
}
