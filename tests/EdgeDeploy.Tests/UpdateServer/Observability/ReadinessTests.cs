using System.Net;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Health.V1;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Observability;

/// <summary>/healthz is liveness (the process answers), /readyz and gRPC health are readiness (database, disk, evaluator).</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readyz_PostgresDatabaseRefusesConnections_503WhileHealthzStays200ThenRecovers()
    {
        // A database of its own on the shared cluster, made unreachable by refusing connections to it: the cluster and
        // every other test's database keep running.
        var connectionString = await PostgresCluster.CreateDatabaseAsync();
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var server = await UpdateServerHost.StartAsync(database: connectionString);
        using var http = MetricsEndpointTests.Http1Client();
        var health = new Health.HealthClient(server.Channel);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(server.HttpAddress!, "/readyz"))).StatusCode);

        await AdminAsync($"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false;", $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';");
        try
        {
            var ready = await http.GetAsync(new Uri(server.HttpAddress!, "/readyz"));
            var body = await ready.Content.ReadAsStringAsync();
            var live = await http.GetAsync(new Uri(server.HttpAddress!, "/healthz"));
            var grpc = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(15));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("\"database\":{\"status\":\"Unhealthy\",\"description\":\"the database does not answer: ", body);
            Assert.Contains("\"disk\":{\"status\":\"Healthy\"", body);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpc.Status);
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true;");
        }

        // Connections allowed again: ready again (the pool may first hand out a connection the termination broke).
        var recovered = HttpStatusCode.ServiceUnavailable;
        for (var attempt = 0; attempt < 50 && recovered != HttpStatusCode.OK; attempt++)
        {
            recovered = (await http.GetAsync(new Uri(server.HttpAddress!, "/readyz"))).StatusCode;
            if (recovered != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, recovered);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(15))).Status);
    }

    [Fact]
    public async Task Readyz_DiskBelowTheConfiguredMinimum_503NamingTheDataDirectory()
    {
        await using var server = await UpdateServerHost.StartAsync(settings: [$"--EdgeDeploy:MinFreeDiskBytes={long.MaxValue}"]);
        using var http = MetricsEndpointTests.Http1Client();

        var ready = await http.GetAsync(new Uri(server.HttpAddress!, "/readyz"));
        var live = await http.GetAsync(new Uri(server.HttpAddress!, "/healthz"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"disk\":{\"status\":\"Unhealthy\",\"description\":\"only ", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public void Start_TrustDirectoryWithoutRoot_FailsNamingTheDirectory()
    {
        using var temp = new TempDirectory();
        var trust = Path.Combine(temp.Path, "empty-trust");
        Directory.CreateDirectory(trust);

        var ex = Assert.ThrowsAny<Exception>(() => EdgeDeploy.UpdateServer.UpdateServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--EdgeDeploy:HttpUrls=",
            $"--EdgeDeploy:DataDirectory={Path.Combine(temp.Path, "data")}",
            $"--EdgeDeploy:TrustDirectory={trust}",
            "--EdgeDeploy:OperatorToken=x",
            "--EdgeDeploy:EnrollmentToken=y",
        ]));

        Assert.Contains($"EdgeDeploy:TrustDirectory '{trust}' has no root.json", ex.Message);
    }

    private static async Task AdminAsync(params string[] statements)
    {
        var cluster = await PostgresCluster.SharedAsync();
        await using var connection = new NpgsqlConnection(cluster.ConnectionString());
        await connection.OpenAsync();
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
