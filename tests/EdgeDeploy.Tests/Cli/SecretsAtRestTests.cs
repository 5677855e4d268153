using System.Diagnostics;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>Issue 11, secrets at rest: the AOT-published `edge keygen` creates its private key owner-only from the first byte.</summary>
[Collection(AotCollection.Name)]
public sealed class SecretsAtRestTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public SecretsAtRestTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Keygen_WatchedByAnotherProcessWhileWriting_PrivateKeyIsNeverGroupOrOtherReadable()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        var wide = new List<string>();
        var seen = 0;
        for (var run = 0; run < 5; run++)
        {
            var dir = _temp.File("keys-" + run);
            Directory.CreateDirectory(dir);
            var info = new ProcessStartInfo(_edge) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "keygen", "--out", dir, "--name", "root" })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;

            // What an unprivileged local process would do: poll for the file in a tight loop and look at its mode.
            var deadline = Stopwatch.StartNew();
            var key = Path.Combine(dir, "root.key");
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                var exited = process.HasExited;
                if (File.Exists(key))
                {
                    seen++;
                    try
                    {
                        if ((File.GetUnixFileMode(key) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                        {
                            wide.Add($"{key}: {File.GetUnixFileMode(key)}");
                        }
                    }
                    catch (FileNotFoundException)
                    {
                        // not there yet
                    }
                }

                if (exited)
                {
                    break;
                }
            }

            Assert.True(process.WaitForExit(30_000));
            Assert.Equal(0, process.ExitCode);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            Assert.Single(Directory.GetFiles(dir, "*.key"));
        }

        Assert.Empty(wide);
        Assert.True(seen > 0);
    }

    [Fact]
    public void Keygen_ExistingPrivateKey_IsNeverOverwritten()
    {
        var key = _temp.File("root.key");
        File.WriteAllText(key, "precious");

        var run = ProcessRunner.Run(_edge, ["keygen", "--out", _temp.Path, "--name", "root"], TimeSpan.FromMinutes(1));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("refusing to overwrite a private key", run.StdErr);
        Assert.Equal("precious", File.ReadAllText(key));
    }
}
