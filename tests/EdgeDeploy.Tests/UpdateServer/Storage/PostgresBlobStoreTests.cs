using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;
using Npgsql;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The blob store contract on PostgreSQL (a fresh database of the shared test cluster).</summary>
public sealed class PostgresBlobStoreTests : BlobStoreContract
{
    private NpgsqlDataSource? _dataSource;

    public override async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    protected override async Task<IBlobStore> OpenAsync() => new PostgresBlobStore(_dataSource = await PostgresCluster.CreateMigratedAsync(), TimeProvider.System);
}
