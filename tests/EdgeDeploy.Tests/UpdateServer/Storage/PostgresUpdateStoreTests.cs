using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The update store contract on PostgreSQL (a fresh database of the shared test cluster).</summary>
public sealed class PostgresUpdateStoreTests : UpdateStoreContract
{
    private NpgsqlDataSource? _dataSource;

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    protected override async Task<IUpdateStore> OpenAsync() => new PostgresUpdateStore(_dataSource = await PostgresCluster.CreateMigratedAsync());
}
