using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>The server's data directory, databases and assignment key are owner-only as soon as they exist.</summary>
public sealed class SecretsAtRestTests
{
    [Fact]
    public async Task Start_FreshDataDirectory_KeyDatabasesAndDirectoriesAreOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes; Windows relies on the directory ACL
        }

        await using var server = await UpdateServerHost.StartAsync();
        var data = Path.Combine(server.TempPath, "data");
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        const UnixFileMode directory = file | UnixFileMode.UserExecute;

        Assert.Equal(directory, File.GetUnixFileMode(data));
        Assert.Equal(file, File.GetUnixFileMode(Path.Combine(data, "assignment.key")));
        foreach (var db in Directory.GetFiles(data, "*.db*"))
        {
            Assert.Equal((db, file), (db, File.GetUnixFileMode(db))); // -wal and -shm too
        }

        Assert.Contains(Path.Combine(data, "edgedeploy.db"), Directory.GetFiles(data));
        Assert.Contains(Path.Combine(data, "telemetry.db"), Directory.GetFiles(data));
        Assert.Empty(Directory.GetFiles(data, "*.tmp-*"));
    }
}
