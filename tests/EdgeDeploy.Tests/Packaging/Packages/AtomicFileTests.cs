using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Packages;

/// <summary>Issue 11, secrets at rest: secret files are owner-only from their first byte, never chmod-ed afterwards.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WriteSecret_LeftoverWorldReadableTempFile_IsNotReusedAndTheSecretIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        var path = _temp.File("agent.json");
        var leftover = path + ".tmp-" + Environment.ProcessId; // a crashed writer's temp file, or one planted to be reused
        File.WriteAllText(leftover, "old");
        File.SetUnixFileMode(leftover, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var reader = new FileStream(leftover, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); // an attacker's open handle

        AtomicFile.WriteSecret(path, "token"u8);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal("token", File.ReadAllText(path));
        Assert.Equal("old", new StreamReader(reader).ReadToEnd()); // the attacker's handle never sees the secret
        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public async Task WriteSecret_WatchedWhileWritten_TempAndTargetAreNeverGroupOrOtherReadable()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = _temp.File("state.json");
        var wide = new List<string>();
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            // A tight, bounded poll of every file in the directory, as an unprivileged process would do.
            for (var i = 0; i < 2_000_000 && !stop.IsCancellationRequested; i++)
            {
                foreach (var f in Directory.GetFiles(_temp.Path))
                {
                    try
                    {
                        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(f) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                        {
                            wide.Add(f);
                        }
                    }
                    catch (IOException)
                    {
                        // renamed away meanwhile
                    }
                }
            }
        });

        for (var i = 0; i < 300; i++)
        {
            AtomicFile.WriteSecret(path, System.Text.Encoding.UTF8.GetBytes("secret " + i));
        }

        stop.Cancel();
        await watcher.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(wide);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
    }
}
