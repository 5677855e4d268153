using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using static EdgeDeploy.Tests.Infrastructure.TelemetryFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>A device flooding telemetry is held to its per-minute quota; other devices are not affected.</summary>
public sealed class TelemetryQuotaTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(settings: ["--EdgeDeploy:TelemetryRecordsPerDevicePerMinute=10"]);
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await AttackFixture.CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Ingest_FloodOverTheQuota_IsResourceExhaustedAndNothingMoreIsStored()
    {
        var flooder = await _server.RegisterAsync("sensor-1");
        var neighbour = await _server.RegisterAsync("sensor-2");
        var outcomes = new List<(long Stored, StatusCode Code)>();
        string? refusal = null;
        for (var i = 0; i < 5; i++)
        {
            try
            {
                var response = await IngestAsync(_server, UpdateServerHost.Bearer(flooder), Batch($"b-{i}", Prediction(100, 0), Prediction(100, 1), Prediction(100, 2), GroundTruth(0)));
                outcomes.Add((response.RecordsStored, StatusCode.OK));
            }
            catch (RpcException ex)
            {
                outcomes.Add((0, ex.StatusCode));
                refusal ??= ex.Status.Detail;
            }
        }

        var neighbours = await IngestAsync(_server, UpdateServerHost.Bearer(neighbour), Batch("n-1", Prediction(100, 0)));

        Assert.Equal([(4L, StatusCode.OK), (4L, StatusCode.OK), (0L, StatusCode.ResourceExhausted), (0L, StatusCode.ResourceExhausted), (0L, StatusCode.ResourceExhausted)], outcomes);
        Assert.Matches(@"^Batch b-2: device sensor-1 may send 10 telemetry records per minute and has sent 8 in this one; retry in \d+ s; the batch was not stored\.$", refusal);
        Assert.Equal(1, neighbours.RecordsStored);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(3, 7, 2), _server.TelemetryStore.Count());
    }
}
