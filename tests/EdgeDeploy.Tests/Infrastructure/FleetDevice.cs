using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>A real device: a real ModelStore (iris models on ONNX Runtime, CPU) and a real UpdateAgent talking to the server.</summary>
internal sealed class FleetDevice : IDisposable
{
    private static readonly Lazy<List<(Dictionary<string, EdgeTensor> Inputs, double Label)>> LabelledRows = new(() =>
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        return [.. File.ReadLines(Repo.Model("iris_classifier.confidence.jsonl")).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return (TensorJson.ReadInputs(doc.RootElement, model.Schema).ToDictionary(), doc.RootElement.GetProperty("label").GetDouble());
        })];
    });

    public FleetDevice(UpdateServerHost server, string id, string? stateDirectory = null, long maxBytesPerCycle = 0, string? serverKeyPem = null, TimeProvider? clock = null, TimeSpan? offlineGrace = null, Uri? serverAddress = null, bool withTelemetry = false, string? hardware = null, double latencyBudgetMs = 0, IProgress<DownloadProgress>? downloadProgress = null, double rawInputSampleRate = 0)
    {
        Id = id;
        var state = stateDirectory ?? Path.Combine(server.TempPath, id);
        var trustDir = Path.Combine(state, "trust");
        var trust = Directory.Exists(trustDir) ? TrustStore.Open(trustDir) : SampleTrust.Create(trustDir);
        Telemetry = withTelemetry ? TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = Path.Combine(state, "telemetry.db"), RawInputSampleRate = rawInputSampleRate }) : null;
        Store = ModelStore.Open(new ModelStoreOptions
        {
            Telemetry = Telemetry,
            Directory = Path.Combine(state, "store"),
            Trust = trust,
            LatencyBudgetMilliseconds = latencyBudgetMs,
            ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
        });
        Agent = UpdateAgent.Create(new UpdateAgentOptions
        {
            ServerAddress = serverAddress ?? server.Address,
            DeviceId = id,
            EnrollmentToken = UpdateServerHost.EnrollmentToken,
            StateDirectory = Path.Combine(state, "agent"),
            AssignmentPublicKeyPem = serverKeyPem ?? server.AssignmentPublicKeyPem,
            Store = Store,
            MaxDownloadBytesPerCycle = maxBytesPerCycle,
            DownloadProgress = downloadProgress,
            Attributes = hardware is null ? new Dictionary<string, string> { ["region"] = "eu" } : new Dictionary<string, string> { ["region"] = "eu", ["hardware"] = hardware },
            Telemetry = Telemetry,
            TimeProvider = clock ?? TimeProvider.System,
            OfflineGrace = offlineGrace ?? Timeout.InfiniteTimeSpan,
        });
    }

    public string Id { get; }

    public ModelStore Store { get; }

    public TelemetryRecorder? Telemetry { get; }

    public UpdateAgent Agent { get; }

    public Task<AgentCycle> CheckInAsync() => Agent.RunOnceAsync(CancellationToken.None);

    /// <summary>Predicts the 45 labelled iris confidence rows <paramref name="rounds"/> times and records each true label; returns the versions that served.</summary>
    public List<string> ServeLabelledTraffic(int rounds = 1)
    {
        var served = new List<string>();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var (inputs, label) in LabelledRows.Value)
            {
                var prediction = Store.Predict(inputs);
                Store.RecordGroundTruth(prediction.PredictionId, label);
                served.Add(prediction.Version);
            }
        }

        return served;
    }

    /// <summary>Predicts the 45 labelled iris confidence rows once (each row's features through <paramref name="shift"/>) and records each true label; returns what was served.</summary>
    public List<(ServedPrediction Served, IReadOnlyDictionary<string, EdgeTensor> Inputs, double Label)> ServeLabelledRows(Func<float[], float[]>? shift = null)
    {
        var served = new List<(ServedPrediction, IReadOnlyDictionary<string, EdgeTensor>, double)>();
        foreach (var (original, label) in LabelledRows.Value)
        {
            IReadOnlyDictionary<string, EdgeTensor> inputs = shift is null ? original
                : new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create(shift(original["features"].ToArray<float>()), [1, 4]) };
            var prediction = Store.Predict(inputs);
            Store.RecordGroundTruth(prediction.PredictionId, label);
            served.Add((prediction, inputs, label));
        }

        return served;
    }

    public void Dispose()
    {
        Agent.Dispose();
        Store.Dispose();
        Telemetry?.Dispose();
    }
}
