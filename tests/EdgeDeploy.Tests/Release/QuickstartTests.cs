using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Release;

/// <summary>
/// README's server quickstart, run as written from the repository root: the fenced block after
/// <c>&lt;!-- quickstart --&gt;</c> is extracted and handed to bash. Only three things are swapped, each asserted to be
/// there first so the README cannot drift from what runs: the CLI build line (the run's shared AOT `edge` is put on PATH
/// instead), <c>dotnet run --project src/UpdateServer</c> (the server this test run built, started with <c>dotnet</c>
/// directly, so no second build races the test run's), and the two ports (free ones, so runs do not collide).
/// </summary>
[Collection(AotCollection.Name)]
public sealed class QuickstartTests(AotArtifacts artifacts)
{
    private const string CliBuildLine = "dotnet build src/Edge.Cli -c Release -v q -nologo && export PATH=\"$PWD/src/Edge.Cli/bin/Release/net10.0:$PATH\"";
    private const string ServerRun = "dotnet run -c Release --project src/UpdateServer --";

    [Fact]
    public void Quickstart_FromTheRepositoryRoot_ReachesACompletedRollout()
    {
        var block = ExtractQuickstart(File.ReadAllText(Path.Combine(Repo.Root, "README.md")));
        Assert.Contains(CliBuildLine, block);
        Assert.Contains(ServerRun, block);
        Assert.Contains("127.0.0.1:5000", block);
        Assert.Contains("127.0.0.1:5080", block);

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var serverDll = Path.Combine(Repo.Root, "src", "UpdateServer", "bin", configuration, "net10.0", "EdgeDeploy.UpdateServer.dll");
        Assert.True(File.Exists(serverDll), serverDll + " is built with the tests");
        var script = block
            .Replace(CliBuildLine, $"export PATH=\"{Path.GetDirectoryName(artifacts.RequireEdge())}:$PATH\"", StringComparison.Ordinal)
            .Replace(ServerRun, $"dotnet {serverDll}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5000", $"127.0.0.1:{FreePort()}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5080", $"127.0.0.1:{FreePort()}", StringComparison.Ordinal);

        // Fail on the first failing line; stop the background server however the script ends.
        var run = ProcessRunner.Run(
            "bash",
            ["-c", "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script],
            TimeSpan.FromMinutes(4),
            Repo.Root);

        var log = Path.Combine(Repo.Root, ".edge", "server.log");
        var context = run.All + "\n--- server.log ---\n" + (File.Exists(log) ? File.ReadAllText(log) : "(none)");
        Assert.True(run.ExitCode == 0, context);
        Assert.Contains("\"status\":\"Healthy\"", run.StdOut); // /readyz answered before the first CLI call
        Assert.Contains("published: iris-classifier 1.0.0", run.StdOut);
        Assert.Matches(@"iris-classifier 1\.0\.0  AllAtOnce  completed  stage 1/1 \(100%\)\s+devices: 1 targeted, 1 installed, 0 failed", run.StdOut);
        Assert.Matches(@"(?m)^edgedeploy_checkins_total\{.*\} [3-9]", run.StdOut); // three check-ins, scraped over HTTP/1.1 with curl
        Assert.Matches(@"(?m)^edgedeploy_downloaded_bytes_total\{.*\} [1-9]", run.StdOut);
    }

    /// <summary>The fenced block that follows the <c>&lt;!-- quickstart --&gt;</c> marker.</summary>
    internal static string ExtractQuickstart(string readme)
    {
        var match = Regex.Match(readme.ReplaceLineEndings("\n"), @"<!-- quickstart -->\n```sh\n(?<body>.*?)\n```", RegexOptions.Singleline);
        Assert.True(match.Success, "README.md has no ```sh block after <!-- quickstart -->");
        return match.Groups["body"].Value;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
