using System.Diagnostics;
using System.Text;

namespace EdgeDeploy.Tests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public string All => StdOut + StdErr;
}

/// <summary>Runs a child process with a hard time limit, capturing its output.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        // A nested `dotnet publish` must not inherit the MSBuild state of the `dotnet test` that started us.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
        {
            info.Environment.Remove(key);
        }

        // Nothing a test starts may outlive it: no MSBuild node, MSBuild server or compiler server stays behind.
        NoBuildServers(info);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                info.Environment[k] = v;
            }
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.\n{stdout}\n{stderr}");
        }

        process.WaitForExit(); // drain the async readers
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Environment for a child `dotnet` (or a script calling it) that leaves no build server running.</summary>
    internal static void NoBuildServers(ProcessStartInfo info)
    {
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
    }

    /// <summary>
    /// Starts a process, waits (bounded) until a stdout line satisfies <paramref name="until"/>, then kills it with SIGKILL:
    /// the crash tests' "kill -9 at this point".
    /// </summary>
    public static string KillWhen(string fileName, IEnumerable<string> arguments, Func<string, bool> until, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var seen = new StringBuilder();
        var matched = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                matched.TrySetException(new InvalidOperationException("The process closed its output first:\n" + seen));
                return;
            }

            lock (seen)
            {
                seen.AppendLine(e.Data);
            }

            if (until(e.Data))
            {
                matched.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (seen) { seen.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!matched.Task.Wait(timeout))
            {
                throw new TimeoutException($"No matching line within {timeout}:\n{seen}");
            }

            return matched.Task.Result;
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Unix: no finalizers, no flushes
            process.WaitForExit();
        }
    }
}
