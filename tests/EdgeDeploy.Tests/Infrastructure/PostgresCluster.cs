using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test run: <c>initdb</c> into a folder under /tmp, <c>pg_ctl start</c> on a
/// free loopback port, started on first use and stopped when the test process exits. Tests never share a database:
/// <see cref="CreateDatabaseAsync"/> makes a fresh one each time, so they stay independent and run in parallel.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, and tests run as root in CI: there the cluster belongs to the <c>postgres</c> OS user
/// (created by the Debian package) and every server command runs through <c>runuser</c>. A run that crashed before its exit
/// handler left a cluster behind: the next run stops every cluster whose owning test process is gone.
/// </remarks>
public sealed class PostgresCluster
{
    private const string Prefix = "edgedeploy-pg-";
    private static readonly Lazy<Task<PostgresCluster>> SharedCluster = new(StartAsync);

    private readonly string _bin;
    private readonly string _data;

    private PostgresCluster(string bin, string root, int port)
    {
        _bin = bin;
        Root = root;
        _data = Path.Combine(root, "data");
        Port = port;
    }

    public string Root { get; }

    public int Port { get; }

    /// <summary>The cluster shared by the test run, started on first use.</summary>
    public static Task<PostgresCluster> SharedAsync() => SharedCluster.Value;

    /// <summary>A connection string (superuser, trust auth on loopback) to the named database.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true }.ConnectionString;

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var cluster = await SharedAsync();
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(cluster.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await command.ExecuteNonQueryAsync();
        }

        return cluster.ConnectionString(name);
    }

    /// <summary>A fresh database with the server's schema, and a data source on it (the caller disposes it).</summary>
    public static async Task<NpgsqlDataSource> CreateMigratedAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await CreateDatabaseAsync());
        EdgeDeploy.UpdateServer.Storage.PostgresSchema.Migrate(dataSource, TimeProvider.System);
        return dataSource;
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBinDirectory();
        StopOrphans(bin);
        var root = Path.Combine("/tmp", Prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", ["postgres:postgres", root], root, asPostgres: false);
        }

        var data = Path.Combine(root, "data");
        // --no-sync and fsync=off: a test cluster need not survive a power cut, and fsyncs dominate its time on a small machine.
        RunPg(bin, "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], root, asRoot);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var cluster = new PostgresCluster(bin, root, port);
            var options = $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
            try
            {
                RunPg(bin, "pg_ctl", ["-D", data, "-l", Path.Combine(root, "server.log"), "-o", options, "-w", "-t", "60", "start"], root, asRoot);
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                continue; // the port was taken between probing and binding: try another
            }

            AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
            await using var connection = new NpgsqlConnection(cluster.ConnectionString());
            await connection.OpenAsync();
            return cluster;
        }
    }

    private void Stop()
    {
        try
        {
            RunPg(_bin, "pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"], Root, Environment.UserName == "root");
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // Best effort at exit; the next run's orphan sweep stops whatever is left.
        }
    }

    /// <summary>Clusters of earlier runs whose test process is gone (a crash skipped their exit handler).</summary>
    private static void StopOrphans(string bin)
    {
        foreach (var root in Directory.EnumerateDirectories("/tmp", Prefix + "*"))
        {
            var ownerFile = Path.Combine(root, "owner.pid");
            if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner))
            {
                continue;
            }

            try
            {
                if (File.Exists(Path.Combine(root, "data", "postmaster.pid")))
                {
                    RunPg(bin, "pg_ctl", ["-D", Path.Combine(root, "data"), "-m", "immediate", "-w", "stop"], root, Environment.UserName == "root");
                }

                Directory.Delete(root, recursive: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // Someone else's leftovers, or already gone.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("EDGEDEPLOY_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        return installed ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/prerequisites.sh (installs the 'postgresql' package) or set EDGEDEPLOY_PG_BIN.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void RunPg(string bin, string tool, string[] args, string workingDirectory, bool asRoot) =>
        Run(Path.Combine(bin, tool), args, workingDirectory, asRoot);

    private static void Run(string file, string[] args, string workingDirectory, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asPostgres)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        // pg_ctl start leaves the server holding inherited pipes: read to the end only what the tool itself wrote before exiting.
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(file)} did not finish in 120 s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: "
                + (stderr.IsCompleted ? stderr.Result : string.Empty) + (stdout.IsCompleted ? stdout.Result : string.Empty));
        }
    }
}
