using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>
/// Issue 11 against the AOT-published `edge`: secrets out of argv, expired roots, oversize or junk packages and an
/// unreachable server are each refused or reported clearly.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class CliHardeningTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{

    [Fact]
    public void OperatorToken_FromFileOrEnvironment_WorksSilentlyAndFromArgvWarnsThatPsShowsIt()
    {
        var tokenFile = Temp.File("operator.token");
        File.WriteAllText(tokenFile, UpdateServerHost.OperatorToken + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var noEnv = new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = string.Empty };
        var fromFile = Run(["devices", "--server", Server.Address.ToString(), "--token-file", tokenFile], noEnv);
        var fromEnv = Run(["devices", "--server", Server.Address.ToString()], new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
        var fromArgv = Run(["devices", "--server", Server.Address.ToString(), "--token", UpdateServerHost.OperatorToken], noEnv);

        Assert.Equal((0, string.Empty), (fromFile.ExitCode, fromFile.StdErr));
        Assert.Equal((0, string.Empty), (fromEnv.ExitCode, fromEnv.StdErr));
        Assert.Equal(0, fromArgv.ExitCode);
        Assert.StartsWith("warning: --token on the command line is visible to other users (ps, /proc/<pid>/cmdline); use EDGE_OPERATOR_TOKEN or --token-file instead.", fromArgv.StdErr);
        Assert.DoesNotContain(UpdateServerHost.OperatorToken, fromArgv.All);
    }

    [Fact]
    public void Agent_EnrollmentTokenFromFile_RegistersAndFromArgvWarns()
    {
        var tokenFile = Temp.File("enrol.token");
        File.WriteAllText(tokenFile, UpdateServerHost.EnrollmentToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a group-readable one draws a warning
        }
        var noEnv = new Dictionary<string, string> { ["EDGE_ENROLLMENT_TOKEN"] = string.Empty };

        var fromFile = Run([.. AgentArgs("dev-file", Server.Address.ToString()), "--enrollment-token-file", tokenFile], noEnv);
        var fromArgv = Run([.. AgentArgs("dev-argv", Server.Address.ToString()), "--enrollment-token", UpdateServerHost.EnrollmentToken], noEnv);

        Assert.True(fromFile.ExitCode == 0, fromFile.All);
        Assert.Contains("cycle 1: serving -", fromFile.StdOut);
        Assert.DoesNotContain("warning", fromFile.StdErr);
        Assert.True(fromArgv.ExitCode == 0, fromArgv.All);
        Assert.StartsWith("warning: --enrollment-token on the command line is visible to other users", fromArgv.StdErr);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Temp.File(Path.Combine("dev-file", "agent", "agent.json"))));
        }
    }

    [Fact]
    public void Agent_UnderSystemd_NotifiesReadyAfterTheFirstCheckInAndStoppingAtTheEnd()
    {
        // What systemd does for Type=notify: a datagram socket named by NOTIFY_SOCKET, read after the agent exits.
        var socketPath = Temp.File("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        var env = new Dictionary<string, string> { ["EDGE_ENROLLMENT_TOKEN"] = UpdateServerHost.EnrollmentToken, ["NOTIFY_SOCKET"] = socketPath };

        var run = Run([.. AgentArgs("dev-systemd", Server.Address.ToString())], env);

        Assert.True(run.ExitCode == 0, run.All);
        var messages = new List<string>();
        var buffer = new byte[256];
        while (messages.Count < 10 && socket.Available > 0)
        {
            messages.Add(System.Text.Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer)).Trim());
        }

        Assert.Equal(["READY=1", "STOPPING=1"], messages);
    }

    [Fact]
    public void Agent_ServerNeverReachable_ExitsTwoNamingTheAddress()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var address = $"http://127.0.0.1:{port}";

        var run = Run([.. AgentArgs("dev-offline", address, cycles: 2), "--interval", "0.1"], new Dictionary<string, string> { ["EDGE_ENROLLMENT_TOKEN"] = UpdateServerHost.EnrollmentToken });

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: Unavailable: cannot reach {address}: ", run.StdErr.Trim());
        Assert.Contains("cycle 2: check-in failed (Unavailable", run.StdOut);
    }

    [Fact]
    public void RootUpdate_AlreadyExpiredRoot_IsRefusedWithRootExpiredAndTrustUnchanged()
    {
        var trust = Temp.File("trust");
        SampleTrust.Create(trust);
        var rootBefore = File.ReadAllBytes(Path.Combine(trust, "root.json"));
        using var rootKey = SigningKey.Load(Path.Combine(Repo.Models, "keys", "root.key"));
        var expired = Temp.File("root-v3.json");
        File.WriteAllBytes(expired, RootBuilder.CreateNext(rootBefore, DateTimeOffset.UtcNow.AddDays(-1)).Build([rootKey])); // validly signed, expired yesterday

        var run = Run(["root", "update", "--trust", trust, expired]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: RootExpired: Root version 3 expired at ", run.StdErr.Trim());
        Assert.Equal(rootBefore, File.ReadAllBytes(Path.Combine(trust, "root.json")));
        Assert.Equal(2, TrustStore.Open(trust).RootVersion);
    }

    [Theory]
    [InlineData(3L << 30, "error: PayloadTooLarge: The package is 3221225472 bytes, over the limit of 2147483648.")]
    [InlineData(1_900_000_000L, "error: PackageMalformed: The package is not a valid zip archive")]
    public void StoreInstall_SparseHugeJunkFile_IsRefusedQuicklyWithoutReadingItWhole(long length, string error)
    {
        var junk = Temp.File("junk.edgepkg");
        using (var f = File.Create(junk))
        {
            f.SetLength(length); // sparse: costs no disk
        }

        var trust = Temp.File("trust");
        SampleTrust.Create(trust);
        var clock = Stopwatch.StartNew();

        var run = Run(["store", "install", junk, "--store", Temp.File("store"), "--trust", trust]);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(error, run.StdErr.Trim());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}"); // reading 1.9 GB whole took far longer
    }

    private string[] AgentArgs(string device, string server, int cycles = 1)
    {
        var dir = Temp.File(device);
        Directory.CreateDirectory(dir);
        var key = Path.Combine(dir, "assignment.pub");
        File.WriteAllText(key, Server.AssignmentPublicKeyPem);
        SampleTrust.Create(Path.Combine(dir, "trust"));
        return ["agent", "--server", server, "--device-id", device, "--server-key", key, "--store", Path.Combine(dir, "store"), "--trust", Path.Combine(dir, "trust"), "--state", Path.Combine(dir, "agent"), "--cycles", cycles.ToString(System.Globalization.CultureInfo.InvariantCulture)];
    }

    private ProcessResult Run(string[] args, Dictionary<string, string>? environment = null) => ProcessRunner.Run(EdgePath, args, TimeSpan.FromMinutes(2), environment: environment);
}
