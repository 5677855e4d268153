namespace EdgeDeploy.UpdateServer.Packages;

/// <summary>Content-addressed package files: <c>blobs/&lt;sha256&gt;</c>, written once via a temp file and rename.</summary>
internal sealed class BlobStore
{
    private readonly string _directory;

    public BlobStore(UpdateServerOptions options)
    {
        _directory = Path.Combine(options.DataDirectory, "blobs");
        Directory.CreateDirectory(_directory);
    }

    public string PathOf(string sha256) => Path.Combine(_directory, sha256);

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public void Put(string sha256, byte[] bytes)
    {
        if (Exists(sha256))
        {
            return;
        }

        var temp = PathOf(sha256) + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, PathOf(sha256), overwrite: true);
    }
}
