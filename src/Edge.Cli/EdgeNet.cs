using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace EdgeDeploy.Cli;

/// <summary>
/// The native AOT CLI is two binaries (README, "Cold start and size"). Before <c>main</c> the .NET runtime rehydrates
/// type data in proportion to what a binary carries, so `edge` carries the offline verbs only (info, predict, bench,
/// keygen, root, pack, sign, verify, store) and hands every other command line to `edge-net` beside it: the complete CLI,
/// with Kestrel for `edge serve`, the gRPC client for the agent and the fleet verbs, CSV and Parquet export. Users only
/// ever type `edge`. Framework-dependent builds (the dotnet tool, `dotnet run`) stay one program.
/// </summary>
internal static partial class EdgeNet
{
    /// <summary>The feature switch Edge.Cli.csproj sets when it publishes `edge`; ILC then trims every networked verb.</summary>
    private const string OfflineOnlySwitch = "EdgeDeploy.Cli.OfflineOnly";

    /// <summary>True in the published `edge`: the networked verbs are not in this binary but in `edge-net`.</summary>
    [FeatureSwitchDefinition(OfflineOnlySwitch)]
    public static bool IsSeparate => AppContext.TryGetSwitch(OfflineOnlySwitch, out var on) && on;

    /// <summary>Runs `edge-net` with the same arguments in place of this process; returns only when it cannot.</summary>
    public static int Run(string[] args)
    {
        var self = Environment.ProcessPath ?? throw new UnreachableException("a native executable knows its path");
        var path = Path.Combine(Path.GetDirectoryName(self)!, "edge-net" + (OperatingSystem.IsWindows() ? ".exe" : string.Empty));
        var verb = args.Length == 0 ? "edge" : "edge " + args[0];
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"error: FileNotFound: '{verb}' runs in edge-net, which is not beside edge ({path}). Install edge and edge-net together (the release tarball's bin/), or publish one binary with everything: dotnet publish src/Edge.Cli -p:EdgeCliSplit=false.");
            return 2;
        }

        if (OperatingSystem.IsWindows())
        {
            // No exec on Windows: a child on the same console, its exit code passed on.
            using var child = Process.Start(new ProcessStartInfo(path, args) { UseShellExecute = false })!;
            Console.CancelKeyPress += (_, e) => e.Cancel = true; // the child gets Ctrl+C too and decides when to stop
            child.WaitForExit();
            return child.ExitCode;
        }

        // exec, not a child: the process id stays, so SIGTERM, Ctrl+C, systemd's main PID and sd_notify (the agent's
        // Type=notify unit) and a parent's waitpid all reach edge-net itself. argv[0] stays "edge" for help and usage text.
        string?[] argv = [Environment.GetCommandLineArgs()[0], .. args, null];
        _ = Exec(path, argv);
        Console.Error.WriteLine($"error: IoError: could not run {path} for '{verb}': {Marshal.GetLastPInvokeErrorMessage()}");
        return 2;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Exec(string path, string?[] argv);
}
