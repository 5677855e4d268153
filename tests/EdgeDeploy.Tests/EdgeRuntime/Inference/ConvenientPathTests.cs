using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

/// <summary>The convenient path's cached bindings: results identical to the unbound first run, allocation within the goal.</summary>
public sealed class ConvenientPathTests : IClassFixture<NpmModels>
{
    private readonly NpmModels _models;

    public ConvenientPathTests(NpmModels models) => _models = models;

    [Fact]
    public void Predict_AudioModelRepeated_AllocatesAtMost512BytesAndMatchesFirstRun()
    {
        using var model = EdgeModel.Load(_models.Model("hey_jarvis_v0.1.onnx"), new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
        var input = EdgeTensor.Create(Floats(16 * 96, seed: 1), [1, 16, 96]);
        var inputs = new Dictionary<string, EdgeTensor> { ["x.1"] = input };
        var first = model.Predict(inputs).Tensors[0].ToArray<float>(); // unbound: learns the shapes
        for (var i = 0; i < 50; i++)
        {
            model.Predict(inputs);
            model.Predict("x.1", input);
        }

        const int Calls = 200;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            model.Predict(inputs);
        }

        var dictionaryBytes = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            model.Predict("x.1", input);
        }

        var singleBytes = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;

        Assert.True(dictionaryBytes <= 512, $"Predict(dictionary) allocated {dictionaryBytes} B per call; the goal is 512.");
        Assert.True(singleBytes <= 512, $"Predict(name, tensor) allocated {singleBytes} B per call; the goal is 512.");
        Assert.Equal(first, model.Predict(inputs).Tensors[0].ToArray<float>());
        Assert.Equal([1L, 1L], model.Predict("x.1", input).Tensors[0].Shape.ToArray());
    }

    [Fact]
    public void Predict_DynamicShapesAlternating_EachResultMatchesAFreshModelsFirstRun()
    {
        using var model = EdgeModel.Load(Repo.Model("cnn_dynamic.onnx"));
        long[][] shapes = [[1, 3, 16, 20], [2, 3, 24, 12], [1, 3, 16, 20], [2, 3, 24, 12], [1, 3, 8, 8]];
        for (var round = 0; round < 3; round++)
        {
            foreach (var shape in shapes)
            {
                var input = EdgeTensor.Create(Floats((int)shape.Aggregate(1L, (a, d) => a * d), seed: (int)shape[2] + round), shape);
                using var fresh = EdgeModel.Load(Repo.Model("cnn_dynamic.onnx"));
                var expected = fresh.Predict("image", input);
                var actual = model.Predict("image", input);
                for (var o = 0; o < expected.Tensors.Count; o++)
                {
                    Assert.Equal(expected.Tensors[o].Shape.ToArray(), actual.Tensors[o].Shape.ToArray());
                    Assert.Equal(expected.Tensors[o].ToArray<float>(), actual.Tensors[o].ToArray<float>());
                }
            }
        }
    }

    [Fact]
    public void Predict_BoundPath_ValidationStillRefusesBadInputs()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var good = TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f);
        model.Predict("features", good);
        model.Predict("features", good); // now on the cached binding

        var nan = Assert.Throws<EdgeException>(() => model.Predict("features", TestSets.IrisRow(float.NaN, 3.5f, 1.4f, 0.2f)));
        var name = Assert.Throws<EdgeException>(() => model.Predict("feature", good));
        var shape = Assert.Throws<EdgeException>(() => model.Predict("features", EdgeTensor.Create(new float[5], [1, 5])));

        Assert.Equal(EdgeErrorCode.NonFiniteInput, nan.Code);
        Assert.Equal(EdgeErrorCode.MissingInput, name.Code);
        Assert.Equal(EdgeErrorCode.InputShapeMismatch, shape.Code);
    }

    [Fact]
    public void Predict_ManyThreadsOnCachedBinding_EveryResultMatchesSequentialRun()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var rows = Enumerable.Range(0, 16).Select(i => TestSets.IrisRow(4 + (i * 0.2f), 3, 1 + (i * 0.3f), i * 0.1f)).ToArray();
        var expected = rows.Select(r => model.Predict("features", r)["probabilities"].ToArray<float>()).ToArray();
        var failures = 0;

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var i = 0; i < 400; i++)
            {
                var index = (worker * 7 + i) % rows.Length;
                if (!model.Predict("features", rows[index])["probabilities"].ToArray<float>().SequenceEqual(expected[index]))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });

        Assert.Equal(0, failures);
    }

    internal static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }
}
