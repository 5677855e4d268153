using System.Diagnostics.Metrics;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>
/// The runtime's and the device layer's meters, read the way a host's OpenTelemetry set-up reads them (a MeterListener
/// on their names). Other tests in the process record too, so the assertions are lower bounds.
/// </summary>
public sealed class DeviceMetricsTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly MeterListener _listener = new();
    private long _predictRuns;
    private long _predictErrors;
    private long _gatesPassed;
    private long _swaps;
    private long _outboxDepth;

    public DeviceMetricsTests(PackageFactory factory)
    {
        _factory = factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is EdgeModel.MeterName or ModelStore.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };

        // Allocation-free callbacks: they run on the recording thread, where other tests may be counting allocations.
        _listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "edgedeploy.runtime.predict.duration")
            {
                Interlocked.Increment(ref _predictRuns);
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            switch (instrument.Name)
            {
                case "edgedeploy.runtime.predict.errors":
                    Interlocked.Add(ref _predictErrors, value);
                    break;
                case "edgedeploy.device.gate.results" when tags.Length == 1 && tags[0].Value is "passed":
                    Interlocked.Add(ref _gatesPassed, value);
                    break;
                case "edgedeploy.device.swaps" when tags.Length == 1 && tags[0].Value is false:
                    Interlocked.Add(ref _swaps, value);
                    break;
                case "edgedeploy.device.outbox.depth":
                    Interlocked.Add(ref _outboxDepth, value);
                    break;
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Meters_InstallPredictFailAndRecord_InstrumentsMove()
    {
        using var telemetry = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = Path.Combine(_temp.Path, "telemetry.db") });
        using var store = PackageFactory.OpenStore(Path.Combine(_temp.Path, "store"), _factory.NewTrustStore(), telemetry);

        Assert.Equal(InstallOutcome.Activated, store.Install(_factory.SignedIris()).Outcome);
        for (var i = 0; i < 5; i++)
        {
            store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));
        }

        Assert.Throws<EdgeException>(() => store.Predict(ModelStoreTests.Row([5.1f, float.NaN, 1.4f, 0.2f])));
        Assert.True(telemetry.Flush(TimeSpan.FromSeconds(10)));
        _listener.RecordObservableInstruments();

        Assert.True(Interlocked.Read(ref _predictRuns) >= 5 + 45, "the gate's 45 end-to-end runs and 5 predictions");
        Assert.True(Interlocked.Read(ref _predictErrors) >= 1);
        Assert.True(Interlocked.Read(ref _gatesPassed) >= 1);
        Assert.True(Interlocked.Read(ref _swaps) >= 1);
        Assert.True(Interlocked.Read(ref _outboxDepth) >= 5, "the 5 recorded predictions wait in the outbox");
    }

    [Fact]
    public void FastPredictor_WithAListenerOnTheRuntimeMeter_RecordsAndStillAllocatesZero()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        using var fast = model.CreateFastPredictor().WithShape("features", [1, 4]).Build();
        new float[] { 5.1f, 3.5f, 1.4f, 0.2f }.CopyTo(fast.GetInput<float>("features"));
        for (var i = 0; i < 100; i++)
        {
            fast.Run();
        }

        var recorded = Interlocked.Read(ref _predictRuns);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            fast.Run();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(Interlocked.Read(ref _predictRuns) - recorded >= 10_000);
    }
}
