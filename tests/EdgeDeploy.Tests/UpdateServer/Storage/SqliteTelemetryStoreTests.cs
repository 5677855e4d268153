using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The telemetry contract on SQLite, and what only the SQLite file has to do (upgrade files of older servers).</summary>
public sealed class SqliteTelemetryStoreTests : TelemetryStoreContract
{
    private readonly TempDirectory _temp = new();

    public override Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        _temp.Dispose();
        return Task.CompletedTask;
    }

    protected override Task<ITelemetryStore> OpenAsync() => Task.FromResult<ITelemetryStore>(new SqliteTelemetryStore(_temp.File("contract.db")));

    [Fact]
    public async Task Open_FileFromBeforeSliceMasks_AddsTheColumnAndKeepsItsRows()
    {
        // The predictions table as servers created it before slice masks: one stored, labelled prediction.
        var path = _temp.File("telemetry.db");
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE series (id INTEGER PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, UNIQUE (model, version));
                CREATE TABLE predictions (series INTEGER NOT NULL, ts_ms INTEGER NOT NULL, device_id TEXT NOT NULL,
                    prediction_id BLOB NOT NULL, shadow INTEGER NOT NULL, latency_us REAL NOT NULL, input_values INTEGER NOT NULL,
                    input_missing INTEGER NOT NULL, predicted REAL NOT NULL);
                CREATE TABLE ground_truth (device_id TEXT NOT NULL, prediction_id BLOB NOT NULL, label REAL NOT NULL,
                    ts_ms INTEGER NOT NULL, PRIMARY KEY (device_id, prediction_id)) WITHOUT ROWID;
                INSERT INTO series VALUES (1, 'iris-classifier', '1.0.0');
                INSERT INTO predictions VALUES (1, 1000, 'd1', x'01', 0, 50, 4, 0, 2);
                INSERT INTO ground_truth VALUES ('d1', x'01', 2, 1001);
                """;
            create.ExecuteNonQuery();
        }

        using var store = new SqliteTelemetryStore(path);
        await store.StoreBatchAsync(
            new TelemetryBatchRecord("d1", "1-1", [new IngestedPrediction(Guid.NewGuid(), "iris-classifier", "1.0.0", 1002, 60, false, 4, 0, 1, Slices: 0b100)], []),
            1003, CancellationToken.None);
        var summary = store.Summarize("iris-classifier", "1.0.0", 0, 2000);

        Assert.Equal((2L, 1L, 1L), (summary.Requests, summary.GroundTruth, summary.Correct)); // the old row kept its label
        var slice = Assert.Single(summary.Slices);
        Assert.Equal((2, new SliceOutcomes(1, 0, 0, 0)), (slice.Key, slice.Value)); // the old row has no slices; the new one is in slice 2

        // Its ground_truth table took the nullable label and the truth column: a truth-only label (NaN) is stored and scored.
        var evidence = TelemetryCodec.ReadEvidence(TelemetryCodec.Encode(new PredictionRecord(Guid.NewGuid(), "m", "1", 0, 0, false, [], new Dictionary<string, EdgeTensor>()) { Evidence = new Dictionary<string, EdgeTensor> { ["text"] = EdgeTensor.Create(["ab"], [1]) } })).ToArray();
        var scored = new IngestedPrediction(Guid.NewGuid(), "iris-classifier", "1.0.0", 1004, 60, false, 4, 0, 1, Evidence: evidence);
        await store.StoreBatchAsync(new TelemetryBatchRecord("d1", "2-3", [scored], [new IngestedGroundTruth(scored.PredictionId, double.NaN, 1005, evidence)]), 1006, CancellationToken.None);
        var after = store.Summarize("iris-classifier", "1.0.0", 0, 2000);
        Assert.Equal((3L, 1L, 1L, 0L), (after.Requests, after.GroundTruth, after.Evidence.Sequences, after.Evidence.CharacterEdits));

        // Its predicted column lost NOT NULL (rowids kept): a prediction without a value (NaN, stored as NULL) is stored.
        var valueless = new IngestedPrediction(Guid.NewGuid(), "iris-classifier", "1.0.0", 1007, 60, false, 4, 0, double.NaN);
        await store.StoreBatchAsync(new TelemetryBatchRecord("d1", "4-4", [valueless], []), 1008, CancellationToken.None);
        var last = store.Summarize("iris-classifier", "1.0.0", 0, 2000);
        Assert.Equal((4L, 1L), (last.Requests, last.GroundTruth));
        Assert.Equal(new Dictionary<double, long> { [2] = 1, [1] = 2 }, last.PredictionCounts);
    }
}
