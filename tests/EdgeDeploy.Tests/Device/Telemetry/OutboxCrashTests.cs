using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Telemetry;

/// <summary>kill -9 while the outbox is being written: committed, unacknowledged records survive; acknowledged ones never return.</summary>
[Collection(AotCollection.Name)]
public sealed class OutboxCrashTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public OutboxCrashTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Outbox_ProcessKilledMidWrite_KeepsCommittedRecordsAndNeverResendsAcknowledged()
    {
        var trustDir = _temp.File("trust");
        SampleTrust.Create(trustDir);
        var store = _temp.File("store");
        var db = _temp.File("telemetry.db");
        Assert.Equal(0, ProcessRunner.Run(_edge, ["store", "install", Repo.Model("iris_classifier.edgepkg"), "--store", store, "--trust", trustDir], TimeSpan.FromMinutes(1)).ExitCode);

        // Round 1: a clean run, then the "server" acknowledges part of it.
        Assert.Equal(0, ProcessRunner.Run(_edge, ["store", "predict", "--store", store, "--trust", trustDir, "--telemetry", db, "-i", "@" + Repo.Model("iris_classifier.e2e.jsonl"), "--quiet"], TimeSpan.FromMinutes(1)).ExitCode);
        OutboxBatch acknowledged;
        using (var recorder = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db }))
        {
            Assert.Equal(45, recorder.Statistics.Pending);
            acknowledged = recorder.ReadBatch(30)!;
            recorder.Acknowledge(acknowledged);
        }

        // Round 2: a long run killed with SIGKILL while it keeps writing, after its first 45 records were committed.
        var flushed = ProcessRunner.KillWhen(
            _edge,
            ["store", "predict", "--store", store, "--trust", trustDir, "--telemetry", db, "-i", "@" + Repo.Model("iris_classifier.e2e.jsonl"), "--repeat", "1000000", "--quiet"],
            l => l.StartsWith("flushed ", StringComparison.Ordinal),
            TimeSpan.FromMinutes(1));
        var committedBeforeKill = long.Parse(flushed["flushed ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(15 + 45, committedBeforeKill);

        using var reopened = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db });
        Assert.True(reopened.Statistics.Pending >= committedBeforeKill, $"{reopened.Statistics.Pending} < {committedBeforeKill}");
        Assert.Equal(30, reopened.Statistics.Acknowledged);
        var ids = new HashSet<long>();
        for (var batch = reopened.ReadBatch(5000); batch is not null; batch = reopened.ReadBatch(5000))
        {
            Assert.True(batch.FirstId > acknowledged.LastId, "an acknowledged record came back");
            foreach (var record in batch.Records)
            {
                Assert.True(ids.Add(record.Id));
                Assert.Equal("iris-classifier", TelemetryCodec.DecodePrediction(record.Payload).Model); // every committed row decodes
            }

            reopened.Acknowledge(batch);
        }

        Assert.True(ids.Count >= committedBeforeKill);
    }
}
