using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The blob store contract on the filesystem (the SQLite setup's blobs folder).</summary>
public sealed class FileBlobStoreTests : BlobStoreContract
{
    private readonly TempDirectory _temp = new();

    public override Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    protected override Task<IBlobStore> OpenAsync() => Task.FromResult<IBlobStore>(new FileBlobStore(_temp.File("blobs")));
}
