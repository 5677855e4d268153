using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The update store contract on SQLite (a file in a temp directory).</summary>
public sealed class SqliteUpdateStoreTests : UpdateStoreContract
{
    private readonly TempDirectory _temp = new();

    public override Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // release the file before the directory goes
        _temp.Dispose();
        return Task.CompletedTask;
    }

    protected override Task<IUpdateStore> OpenAsync() => Task.FromResult<IUpdateStore>(new SqliteUpdateStore(_temp.File("edgedeploy.db")));
}
