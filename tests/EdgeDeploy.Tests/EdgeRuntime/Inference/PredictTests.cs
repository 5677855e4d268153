using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class PredictTests
{
    [Fact]
    public void Predict_IrisEndToEndSet_MatchesScikitLearn()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var cases = TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), model.Schema);
        Assert.Equal(45, cases.Count);

        foreach (var c in cases)
        {
            var prediction = model.Predict(c.Inputs);
            AssertClose(c.Expected["probabilities"].AsSpan<float>(), prediction["probabilities"].AsSpan<float>(), 1e-5f);
            Assert.Equal(c.Expected["label"].ToArray<long>(), prediction["label"].ToArray<long>());
            Assert.Equal([1L, 3L], prediction["probabilities"].Shape.ToArray());
        }
    }

    [Fact]
    public void Predict_DiabetesEndToEndSet_MatchesScikitLearn()
    {
        using var model = EdgeModel.Load(Repo.Model("diabetes_regressor.onnx"));
        var cases = TestSets.ReadE2e(Repo.Model("diabetes_regressor.e2e.jsonl"), model.Schema);
        Assert.Equal(89, cases.Count);

        foreach (var c in cases)
        {
            var expected = c.Expected["prediction"].AsSpan<float>()[0];
            var actual = model.Predict(c.Inputs)["prediction"].AsSpan<float>()[0];
            Assert.True(Math.Abs(expected - actual) <= 1e-3f * Math.Max(1f, Math.Abs(expected)), $"expected {expected}, got {actual}");
        }
    }

    [Fact]
    public void Predict_EveryElementType_RoundTripsValuesAndShapes()
    {
        using var model = EdgeModel.Load(Repo.Model("all_types.onnx"));
        long[] shape = [2, 3];
        var inputs = new Dictionary<string, EdgeTensor>
        {
            ["in_float"] = EdgeTensor.Create(new[] { 1.5f, -2f, 0f, float.MaxValue, float.Epsilon, -0f }, shape),
            ["in_double"] = EdgeTensor.Create(new[] { 1.5, -2, Math.PI, double.MaxValue, double.Epsilon, 1e-300 }, shape),
            ["in_float16"] = EdgeTensor.Create(new[] { (Half)1.5, (Half)(-2), Half.MaxValue, Half.Epsilon, (Half)0.1, (Half)65504 }, shape),
            ["in_int8"] = EdgeTensor.Create(new sbyte[] { sbyte.MinValue, -1, 0, 1, 2, sbyte.MaxValue }, shape),
            ["in_int16"] = EdgeTensor.Create(new short[] { short.MinValue, -1, 0, 1, 2, short.MaxValue }, shape),
            ["in_int32"] = EdgeTensor.Create(new[] { int.MinValue, -1, 0, 1, 2, int.MaxValue }, shape),
            ["in_int64"] = EdgeTensor.Create(new[] { long.MinValue, -1, 0, 1, 2, long.MaxValue }, shape),
            ["in_uint8"] = EdgeTensor.Create(new byte[] { 0, 1, 2, 127, 128, byte.MaxValue }, shape),
            ["in_uint16"] = EdgeTensor.Create(new ushort[] { 0, 1, 2, 1000, 40000, ushort.MaxValue }, shape),
            ["in_uint32"] = EdgeTensor.Create(new uint[] { 0, 1, 2, 1000, 3_000_000_000, uint.MaxValue }, shape),
            ["in_uint64"] = EdgeTensor.Create(new ulong[] { 0, 1, 2, 1000, 10_000_000_000_000_000_000, ulong.MaxValue }, shape),
            ["in_bool"] = EdgeTensor.Create(new[] { true, false, true, true, false, false }, shape),
            ["in_string"] = EdgeTensor.Create(["a", "", "héllo", "ünïcode ✓", "x y", new string('z', 1000)], shape),
        };

        var prediction = model.Predict(inputs);

        foreach (var (name, input) in inputs)
        {
            var output = prediction["out_" + name["in_".Length..]];
            Assert.Equal(input.ElementType, output.ElementType);
            Assert.Equal(input.Shape.ToArray(), output.Shape.ToArray());
        }

        Assert.Equal(inputs["in_float"].ToArray<float>(), prediction["out_float"].ToArray<float>());
        Assert.Equal(inputs["in_double"].ToArray<double>(), prediction["out_double"].ToArray<double>());
        Assert.Equal(inputs["in_float16"].ToArray<Half>(), prediction["out_float16"].ToArray<Half>());
        Assert.Equal(inputs["in_int8"].ToArray<sbyte>(), prediction["out_int8"].ToArray<sbyte>());
        Assert.Equal(inputs["in_int16"].ToArray<short>(), prediction["out_int16"].ToArray<short>());
        Assert.Equal(inputs["in_int32"].ToArray<int>(), prediction["out_int32"].ToArray<int>());
        Assert.Equal(inputs["in_int64"].ToArray<long>(), prediction["out_int64"].ToArray<long>());
        Assert.Equal(inputs["in_uint8"].ToArray<byte>(), prediction["out_uint8"].ToArray<byte>());
        Assert.Equal(inputs["in_uint16"].ToArray<ushort>(), prediction["out_uint16"].ToArray<ushort>());
        Assert.Equal(inputs["in_uint32"].ToArray<uint>(), prediction["out_uint32"].ToArray<uint>());
        Assert.Equal(inputs["in_uint64"].ToArray<ulong>(), prediction["out_uint64"].ToArray<ulong>());
        Assert.Equal(inputs["in_bool"].ToArray<bool>(), prediction["out_bool"].ToArray<bool>());
        Assert.Equal(inputs["in_string"].ToArray<string>(), prediction["out_string"].ToArray<string>());
    }

    [Fact]
    public void Predict_ManyThreadsAtOnce_EveryResultMatchesSequentialRun()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var cases = TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), model.Schema);
        var expected = cases.Select(c => model.Predict(c.Inputs)["probabilities"].ToArray<float>()).ToArray();
        var failures = 0;

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var i = 0; i < 500; i++)
            {
                var index = (worker * 31 + i) % cases.Count;
                var actual = model.Predict(cases[index].Inputs)["probabilities"].ToArray<float>();
                if (!actual.SequenceEqual(expected[index]))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void PredictBatch_CompatibleRequests_MatchIndividualPredictions()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var requests = new List<IReadOnlyDictionary<string, EdgeTensor>>
        {
            TestSets.Inputs(("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f))),
            TestSets.Inputs(("features", EdgeTensor.Create(new[] { 6.7f, 3.0f, 5.2f, 2.3f, 5.9f, 3.0f, 4.2f, 1.5f }, [2, 4]))),
            TestSets.Inputs(("features", TestSets.IrisRow(6.3f, 2.5f, 4.9f, 1.5f))),
        };

        var batch = model.PredictBatch(requests);

        Assert.Equal(3, batch.Count);
        Assert.Equal([2L, 3L], batch[1]["probabilities"].Shape.ToArray());
        for (var i = 0; i < requests.Count; i++)
        {
            var single = model.Predict(requests[i]);
            AssertClose(single["probabilities"].AsSpan<float>(), batch[i]["probabilities"].AsSpan<float>(), 1e-6f);
            Assert.Equal(single["label"].ToArray<long>(), batch[i]["label"].ToArray<long>());
        }
    }

    [Fact]
    public void PredictBatch_OneBadRequest_ErrorNamesRequestIndexAndInput()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var requests = new List<IReadOnlyDictionary<string, EdgeTensor>>
        {
            TestSets.Inputs(("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f))),
            TestSets.Inputs(("features", TestSets.IrisRow(5.1f, float.NaN, 1.4f, 0.2f))),
        };

        var ex = Assert.Throws<EdgeException>(() => model.PredictBatch(requests));

        Assert.Equal(EdgeErrorCode.NonFiniteInput, ex.Code);
        Assert.StartsWith("Batch request 1: Input 'features' contains NaN", ex.Message);
    }

    [Fact]
    public void Predict_WithCache_RepeatedInputIsServedFromCacheAndLeastRecentlyUsedIsEvicted()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { PredictionCacheCapacity = 2 });
        var a = TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f);
        var b = TestSets.IrisRow(6.7f, 3.0f, 5.2f, 2.3f);
        var c = TestSets.IrisRow(6.3f, 2.5f, 4.9f, 1.5f);

        var first = model.Predict("features", a);
        var again = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f)); // equal bytes, different array
        Assert.Same(first, again);

        model.Predict("features", b);
        model.Predict("features", a); // a is now most recent
        model.Predict("features", c); // evicts b
        Assert.Equal(new PredictionCacheStatistics(Hits: 2, Misses: 3, Count: 2, Capacity: 2), model.CacheStatistics);

        model.Predict("features", b);
        Assert.Equal(4, model.CacheStatistics.Misses);
    }

    [Fact]
    public void Predict_CacheOff_ReportsZeroStatistics()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var p1 = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f));
        var p2 = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f));

        Assert.NotSame(p1, p2);
        Assert.Equal(default, model.CacheStatistics);
    }

    [Fact]
    public void Predict_UnknownOutputName_ThrowsInvalidOutput()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var prediction = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f));

        var ex = Assert.Throws<EdgeException>(() => prediction["score"]);
        Assert.Equal(EdgeErrorCode.InvalidOutput, ex.Code);
        Assert.Equal("Output 'score' is not an output of this model (outputs: probabilities, label).", ex.Message);
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
