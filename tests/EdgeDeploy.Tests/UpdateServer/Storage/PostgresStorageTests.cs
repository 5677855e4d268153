using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>What only the PostgreSQL backend has to do: migrations shared by replicas, and the connection setting.</summary>
public sealed class PostgresStorageTests
{
    [Fact]
    public async Task Migrate_TwoReplicasAtOnce_AppliesEachMigrationOnce()
    {
        var connectionString = await PostgresCluster.CreateDatabaseAsync();
        await using var a = NpgsqlDataSource.Create(connectionString);
        await using var b = NpgsqlDataSource.Create(connectionString);

        await Task.WhenAll(Task.Run(() => PostgresSchema.Migrate(a, TimeProvider.System)), Task.Run(() => PostgresSchema.Migrate(b, TimeProvider.System)));
        PostgresSchema.Migrate(a, TimeProvider.System); // a restart: nothing to do

        await using var command = a.CreateCommand("SELECT COUNT(*), MAX(version) FROM schema_migrations;");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((PostgresSchema.LatestVersion, PostgresSchema.LatestVersion), ((int)reader.GetInt64(0), reader.GetInt32(1)));
    }

    [Fact]
    public async Task Migrate_PredictionRowsFromBeforeChunks_MoveIntoChunksUnchanged()
    {
        var connectionString = await PostgresCluster.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        PostgresSchema.Migrate(dataSource, TimeProvider.System, upTo: PostgresSchema.PredictionChunksVersion - 1);
        await using (var old = dataSource.CreateCommand("""
            INSERT INTO series (model, version) VALUES ('iris', '1.0.0');
            INSERT INTO predictions VALUES (1, 1000, 'd1', gen_random_uuid(), false, 50, 4, 0, 1, 0), (1, 2000, 'd1', '00000000-0000-0000-0000-000000000001', false, 150, 4, 1, 2, 3),
                (1, 3600000, 'd2', gen_random_uuid(), false, 100, 4, 0, 1, 0);
            INSERT INTO ground_truth VALUES ('d1', '00000000-0000-0000-0000-000000000001', 2, 2500);
            """))
        {
            await old.ExecuteNonQueryAsync();
        }

        PostgresSchema.Migrate(dataSource, TimeProvider.System);
        var store = new PostgresTelemetryStore(dataSource);

        Assert.Equal(3L, store.Count().Predictions);
        var window = store.Summarize("iris", "1.0.0", 0, 3_600_000);
        Assert.Equal((2L, 1L, 1L, 1.0 / 8), (window.Requests, window.GroundTruth, window.Correct, window.MissingFraction));
        Assert.Equal([new HourCount(0, 2), new HourCount(3_600_000, 1)], (await store.PredictionsPerHourAsync(CancellationToken.None)).OrderBy(h => h.HourStartUnixMs));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sqlite")]
    [InlineData(" SQLite ")]
    public void PostgresConnectionString_Sqlite_IsNull(string? setting) => Assert.Null(StorageRegistration.PostgresConnectionString(setting));

    [Fact]
    public void PostgresConnectionString_KeywordsOrUri_BecomeTheSameSettings()
    {
        var keywords = new NpgsqlConnectionStringBuilder(StorageRegistration.PostgresConnectionString("Host=db.internal;Port=6432;Database=fleet;Username=edge;Password=p@ss;SSL Mode=Require")!);
        var uri = new NpgsqlConnectionStringBuilder(StorageRegistration.PostgresConnectionString("postgres://edge:p%40ss@db.internal:6432/fleet?sslmode=require")!);

        foreach (var b in new[] { keywords, uri })
        {
            Assert.Equal(("db.internal", 6432, "fleet", "edge", "p@ss", SslMode.Require), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
        }
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("Database=fleet")]
    [InlineData("Host=db;Bogus Key=1")]
    public void PostgresConnectionString_Neither_ThrowsNamingTheSetting(string setting)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => StorageRegistration.PostgresConnectionString(setting));

        Assert.StartsWith("EdgeDeploy:Database must be 'sqlite' or a PostgreSQL connection string", ex.Message);
    }

    [Fact]
    public void Build_UnreachableServer_FailsAtStartWithAClearMessage()
    {
        using var temp = new TempDirectory();
        var ex = Assert.Throws<InvalidOperationException>(() => EdgeDeploy.UpdateServer.UpdateServerApp.Build(
        [
            $"--EdgeDeploy:DataDirectory={temp.Path}",
            $"--EdgeDeploy:TrustDirectory={temp.Path}",
            "--EdgeDeploy:OperatorToken=o",
            "--EdgeDeploy:EnrollmentToken=e",
            "--EdgeDeploy:Database=Host=127.0.0.1;Port=1;Database=fleet;Username=edge;Password=secret;Timeout=2",
        ]));

        Assert.StartsWith("EdgeDeploy:Database: cannot open PostgreSQL database 'fleet' on 127.0.0.1:1 as 'edge': ", ex.Message);
        Assert.DoesNotContain("secret", ex.Message);
    }
}
