using System.Security.Cryptography;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using static EdgeDeploy.Tests.Infrastructure.TelemetryFixture;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The real server with EdgeDeploy:Database set to PostgreSQL: publish, check in, download, ingest telemetry.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task Server_OnPostgres_PublishCheckInDownloadAndIngest()
    {
        var database = await PostgresCluster.CreateDatabaseAsync();
        var package = File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg"));
        var sha = Convert.ToHexStringLower(SHA256.HashData(package));
        await using (var server = await UpdateServerHost.StartAsync(downloadChunkBytes: 1000, database: database))
        {
            var published = await server.PublishAsync(package);
            var token = await server.RegisterAsync("sensor-1");
            await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
            var checkIn = await server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
            await server.FlushCheckInsAsync();
            var resumed = await DownloadAsync(server, token, sha, offset: 2500);
            var batch = Batch("1-3", Prediction(100, label: 0), Prediction(200, label: 1), GroundTruth(0));
            var first = await IngestAsync(server, UpdateServerHost.Bearer(token), batch);
            var retry = await IngestAsync(server, UpdateServerHost.Bearer(token), batch);

            Assert.Equal(sha, published.Sha256);
            Assert.False(published.AlreadyPresent);
            Assert.Equal("1.0.0", Assert.Single(Assignment.Parser.ParseFrom(checkIn.Assignment).Versions).Version);
            Assert.True(resumed.AsSpan().SequenceEqual(package.AsSpan(2500)), "the resumed download returns the package from the offset");
            Assert.Equal((3L, 0, 1), (first.RecordsStored, first.DuplicateBatches, retry.DuplicateBatches));
            Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 2, 1), server.TelemetryStore.Count());
        }

        // Another server on the same database (a second replica, or a restart with an empty data directory) serves the same state.
        await using var replica = await UpdateServerHost.StartAsync(database: database);
        var versions = await replica.Registry.ListVersionsAsync(new ListVersionsRequest(), UpdateServerHost.Operator);
        var token2 = await replica.RegisterAsync("sensor-2");
        var whole = await DownloadAsync(replica, token2, sha, offset: 0);
        var resent = await IngestAsync(replica, UpdateServerHost.Bearer(token2), Batch("1-3", Prediction(100, label: 0)));

        Assert.Equal(sha, Assert.Single(versions.Versions).Sha256);
        Assert.Equal(package, whole);
        Assert.Equal(1, resent.RecordsStored); // same batch id, other device: a batch of its own
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(2, 3, 1), replica.TelemetryStore.Count());
    }

    private static async Task<byte[]> DownloadAsync(UpdateServerHost server, string token, string sha, long offset)
    {
        using var call = server.Devices.Download(new DownloadRequest { Sha256 = sha, Offset = offset }, UpdateServerHost.Bearer(token), DateTime.UtcNow.AddSeconds(30));
        using var received = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(offset + received.Length, chunk.Offset);
            chunk.Data.WriteTo(received);
        }

        return received.ToArray();
    }
}
