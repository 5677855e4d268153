using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class PredictAsyncTests
{
    private static readonly MicroBatchingOptions WideWindow = new() { MaxBatchSize = 8, MaxDelay = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task PredictAsync_IrisRow_MatchesPredict()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var row = TestSets.IrisRow(6.3f, 2.5f, 4.9f, 1.5f);

        var result = await model.PredictAsync("features", row);

        Assert.Equal(model.Predict("features", row)["probabilities"].ToArray<float>(), result["probabilities"].ToArray<float>());
    }

    [Fact]
    public async Task PredictAsync_AlreadyCancelled_TaskIsCancelledWithoutRunning()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var task = model.PredictAsync("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
    }

    [Fact]
    public async Task PredictAsync_CancelledDuringLongRun_StopsWithOperationCanceled()
    {
        using var model = EdgeModel.Load(Repo.Model("cnn_dynamic.onnx"));
        long[] shape = [8, 3, 768, 768]; // seconds of work on one thread
        var image = EdgeTensor.Create(new float[shape.Aggregate(1L, (a, d) => a * d)], shape);
        using var cts = new CancellationTokenSource();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var task = model.PredictAsync("image", image, cts.Token);

        // Cancelled from this thread, not by CancelAfter's timer: in a parallel test run the timer's thread-pool callback
        // came after the whole run had finished (seen in CI). Before or during the run, either way it must stop.
        Thread.Sleep(100);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"cancellation took {started.Elapsed}");

        // The model is still usable after a terminated run.
        var small = EdgeTensor.Create(new float[3 * 8 * 8], [1, 3, 8, 8]);
        var after = await model.PredictAsync("image", small);
        Assert.Equal([1L, 10L], after["probabilities"].Shape.ToArray());
    }

    [Fact]
    public async Task PredictAsync_BatchingConcurrentCallers_EachGetsItsOwnRows()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { MicroBatching = WideWindow });
        using var reference = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var requests = Enumerable.Range(0, 16).Select(i =>
        {
            var rows = 1 + (i % 3); // callers with one, two and three rows share batches
            var data = Enumerable.Range(0, rows * 4).Select(k => 1f + ((i * 13 + k * 7) % 50) * 0.1f).ToArray();
            return EdgeTensor.Create(data, [rows, 4]);
        }).ToArray();

        var results = await Task.WhenAll(requests.Select(r => model.PredictAsync("features", r)));

        for (var i = 0; i < requests.Length; i++)
        {
            var expected = reference.Predict("features", requests[i]);
            Assert.Equal(expected["probabilities"].Shape.ToArray(), results[i]["probabilities"].Shape.ToArray());
            Assert.Equal(expected["label"].ToArray<long>(), results[i]["label"].ToArray<long>());
            var e = expected["probabilities"].ToArray<float>();
            var a = results[i]["probabilities"].ToArray<float>();
            Assert.All(e.Zip(a), p => Assert.Equal(p.First, p.Second, 1e-6f));
        }

        var (batches, held) = model.MicroBatchCounts;
        Assert.Equal(16, held);
        Assert.True(batches <= 4, $"16 concurrent callers ran in {batches} batches; expected batches of up to 8.");
    }

    [Fact]
    public async Task PredictAsync_BatchingOneCallerInvalid_OnlyThatCallerFails()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { MicroBatching = WideWindow });
        var good = Enumerable.Range(0, 5).Select(i => model.PredictAsync("features", TestSets.IrisRow(5 + i * 0.1f, 3, 1.4f, 0.2f))).ToList();
        var nan = model.PredictAsync("features", TestSets.IrisRow(float.NaN, 3, 1.4f, 0.2f));
        var wrong = model.PredictAsync("features", EdgeTensor.Create(new float[3], [1, 3]));
        good.Add(model.PredictAsync("features", TestSets.IrisRow(6, 3, 4.8f, 1.8f)));

        var nanError = await Assert.ThrowsAsync<EdgeException>(() => nan);
        var shapeError = await Assert.ThrowsAsync<EdgeException>(() => wrong);
        var results = await Task.WhenAll(good);

        Assert.Equal(EdgeErrorCode.NonFiniteInput, nanError.Code);
        Assert.Equal(EdgeErrorCode.InputShapeMismatch, shapeError.Code);
        Assert.All(results, r => Assert.Equal([1L, 3L], r["probabilities"].Shape.ToArray()));
    }

    [Fact]
    public async Task PredictAsync_BatchingCallerCancelsWhileQueued_OthersStillServed()
    {
        // The window runs on a fake clock, so it cannot close before the cancellation however slowly this thread runs;
        // the test then closes it by advancing the clock (repeatedly: the dispatcher may open its window after an advance).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var window = TimeSpan.FromMilliseconds(500);
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { MicroBatching = new MicroBatchingOptions { MaxBatchSize = 4, MaxDelay = window, TimeProvider = clock } });
        using var cts = new CancellationTokenSource();
        var cancelled = model.PredictAsync("features", TestSets.IrisRow(5, 3, 1.4f, 0.2f), cts.Token);
        var kept = model.PredictAsync("features", TestSets.IrisRow(6, 3, 4.8f, 1.8f));

        await cts.CancelAsync();
        await Poll.UntilAsync(
            () =>
            {
                clock.Advance(window);
                return kept.IsCompleted;
            },
            () => "the kept request was never served");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var served = await kept;
        Assert.Equal([1L], served["label"].Shape.ToArray());
        Assert.Equal(1, model.MicroBatchCounts.Requests);
    }

    [Fact]
    public void EdgeModelOptions_BadMicroBatching_ThrowsInvalidArgumentNamingProperty()
    {
        var options = new EdgeModelOptions { MicroBatching = new MicroBatchingOptions { MaxBatchSize = 0 } };

        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), options));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("MaxBatchSize", ex.Message);
    }
}
