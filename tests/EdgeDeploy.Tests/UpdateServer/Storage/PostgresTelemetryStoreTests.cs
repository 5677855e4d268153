using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The telemetry contract on PostgreSQL (a fresh database of the shared test cluster).</summary>
public sealed class PostgresTelemetryStoreTests : TelemetryStoreContract
{
    private NpgsqlDataSource? _dataSource;

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    protected override async Task<ITelemetryStore> OpenAsync() => new PostgresTelemetryStore(_dataSource = await PostgresCluster.CreateMigratedAsync());
}
