// Check-in load benchmark: the real update server (in this process, SQLite in a temp directory) on 127.0.0.1 and
// simulated devices calling CheckIn over real HTTP/2 connections. Client and server share the machine's cores, so the
// figures are a floor for the server alone. Usage:
//   dotnet run -c Release --project benchmarks/LoadBench -- [--devices 1000] [--seconds 10] [--warmup 5] [--concurrency 32] [--connections 4]
//   dotnet run -c Release --project benchmarks/LoadBench -- --telemetry [--streams 32] [--batch 1000] [--seconds 10]
// Either mode on PostgreSQL, with one or two server replicas sharing it (devices spread over the replicas; each run gets a
// fresh database, created and dropped through the given connection, which must be allowed to CREATE DATABASE):
//   dotnet run -c Release --project benchmarks/LoadBench -- --database "Host=127.0.0.1;Port=5432;Username=postgres" --replicas 2 [--telemetry]
using System.Diagnostics;
using System.Globalization;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

var devices = BenchArgs.Int("--devices", 1000);
var seconds = BenchArgs.Int("--seconds", 10);
var concurrency = BenchArgs.Int("--concurrency", 32);
var connections = BenchArgs.Int("--connections", 4);
var warmup = BenchArgs.Int("--warmup", 5);
var database = BenchArgs.String("--database");
var replicas = BenchArgs.Int("--replicas", 1);
var root = BenchArgs.RepoRoot();

if (BenchArgs.Has("--host"))
{
    // Child mode: run only the server, print its address, stop when stdin closes.
    await HostAsync(root, BenchArgs.String("--host")!, BenchArgs.String("--host-database"), BenchArgs.String("--host-data"));
    return;
}

if (replicas is < 1 or > 8 || (replicas > 1 && database is null))
{
    Console.Error.WriteLine("error: Usage: --replicas takes 1 to 8, and more than one needs --database (replicas share PostgreSQL).");
    Environment.Exit(2);
}

var backend = database is null ? "SQLite" : $"PostgreSQL, {replicas} replica{(replicas == 1 ? string.Empty : "s")}";
if (BenchArgs.Has("--telemetry"))
{
    await TelemetryIngestionAsync(root, seconds, warmup, BenchArgs.Int("--streams", 32), BenchArgs.Int("--batch", 1000), database, replicas, backend);
    return;
}

Console.WriteLine($"EdgeDeploy check-in load ({backend}): {devices} devices, {concurrency} concurrent calls over {connections} HTTP/2 connections, {seconds} s per run after {warmup} s warm-up, {Environment.ProcessorCount} cores shared by server and client");
foreach (var (label, reuse) in new[] { ("steady state (signed assignment reused up to 30 s)", "00:00:30"), ("worst case (fresh ECDSA signature every check-in)", "00:00:00") })
{
    // The servers run in their own processes so their CPU time can be measured apart from the simulated devices'.
    await using var servers = await Servers.StartAsync(reuse, database, replicas);
    var channels = Enumerable.Range(0, Math.Max(connections, replicas)).Select(i => GrpcChannel.ForAddress(servers.Addresses[i % replicas])).ToArray();
    var tokens = await SetUpFleetAsync(channels[0], devices, root);

    await RunAsync(channels, tokens, concurrency, TimeSpan.FromSeconds(warmup)); // warm-up: JIT tiers, pools, planner snapshot
    var cpuBefore = servers.ProcessorTime();
    var (count, errors, latencies, elapsed) = await RunAsync(channels, tokens, concurrency, TimeSpan.FromSeconds(seconds));
    var serverCpu = servers.ProcessorTime() - cpuBefore;
    Array.Sort(latencies);
    var cpuPerCheckIn = serverCpu.TotalMicroseconds / count;
    Console.WriteLine($"{label}:");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  measured   {count / elapsed.TotalSeconds,8:F0} check-ins/s   p50 {Percentile(latencies, 0.50):F3} ms   p99 {Percentile(latencies, 0.99):F3} ms   errors {errors}   ({count} calls in {elapsed.TotalSeconds:F1} s, devices and server on the same cores)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  server     {cpuPerCheckIn,8:F1} us CPU per check-in   = {2_000_000 / cpuPerCheckIn:F0} check-ins/s on 2 dedicated cores ({serverCpu.TotalSeconds:F2} s server CPU)"));

    foreach (var c in channels)
    {
        c.Dispose();
    }
}

// Telemetry ingestion: devices stream outbox batches of real MessagePack prediction records; each batch is one SQLite
// transaction on the server. Prints stored records per second and the server's CPU per record.
static async Task TelemetryIngestionAsync(string root, int seconds, int warmup, int streams, int batchSize, string? database, int replicas, string backend)
{
    Console.WriteLine($"EdgeDeploy telemetry ingestion ({backend}): {streams} device streams, {batchSize} records per batch, {seconds} s after {warmup} s warm-up, {Environment.ProcessorCount} cores shared by server and devices");
    await using var servers = await Servers.StartAsync("00:00:30", database, replicas);
    using var channel = GrpcChannel.ForAddress(servers.Addresses[0]);
    var devices = new DeviceService.DeviceServiceClient(channel);

    // One HTTP/2 connection per device stream, as separate devices would have (one shared connection window throttles);
    // streams spread over the replicas.
    var channels = Enumerable.Range(0, streams).Select(i => GrpcChannel.ForAddress(servers.Addresses[i % replicas])).ToArray();
    var telemetry = channels.Select(c => new TelemetryService.TelemetryServiceClient(c)).ToArray();
    var headers = new List<Metadata>();
    for (var i = 0; i < streams; i++)
    {
        var token = (await devices.RegisterAsync(new RegisterRequest { DeviceId = $"sensor-{i}", EnrollmentToken = "bench-enrol", RuntimeVersion = "0.1.0" })).DeviceToken;
        headers.Add(new Metadata { { "authorization", "Bearer " + token } });
    }

    // Devices may only report on versions their assignment gives them: put iris 1.0.0 on every stream's device.
    var operatorHeaders = new Metadata { { "authorization", "Bearer bench-operator" } };
    var registry = new RegistryService.RegistryServiceClient(channel);
    await PublishIrisAsync(registry, operatorHeaders, root);

    await registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, operatorHeaders);
    await Task.Delay(replicas > 1 ? 2500 : 0); // the other replicas pick the rollout up within 2 s
    for (var i = 0; i < streams; i++)
    {
        await new DeviceService.DeviceServiceClient(channels[i]).CheckInAsync(new CheckInRequest(), headers[i]);
    }

    // Realistic records: what the runtime's recorder writes for an iris prediction, slice tag included.
    var payloads = Enumerable.Range(0, batchSize).Select(i => new TelemetryPayload
    {
        Kind = (int)EdgeDeploy.Runtime.Telemetry.TelemetryRecordKind.Prediction,
        Payload = Google.Protobuf.ByteString.CopyFrom(EdgeDeploy.Runtime.Telemetry.TelemetryCodec.Encode(new EdgeDeploy.Runtime.Telemetry.PredictionRecord(
            Guid.NewGuid(), "iris-classifier", "1.0.0", 1_800_000_000_000 + i, 30 + (i % 50), false,
            [new EdgeDeploy.Runtime.Telemetry.InputSummary("features", [1, 4], 4, 0, 0.2, 6.9, 3.4)],
            new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor>
            {
                ["label"] = EdgeDeploy.Runtime.EdgeTensor.Create([(long)(i % 3)], [1]),
                ["probabilities"] = EdgeDeploy.Runtime.EdgeTensor.Create([0.1f, 0.2f, 0.7f], [1, 3]),
            },
            Slices: 1UL << (i % 3)))), // one of the iris card's three petal-length slices
    }).ToArray();

    long sequence = 0;
    async Task<long> RunAsync(TimeSpan duration)
    {
        long stored = 0;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            while (stopwatch.Elapsed < duration)
            {
                using var call = telemetry[s].Ingest(headers[s]);
                for (var b = 0; b < 10; b++)
                {
                    var batch = new TelemetryBatch { BatchId = $"{s}-{Interlocked.Increment(ref sequence)}" };
                    batch.Records.AddRange(payloads);
                    await call.RequestStream.WriteAsync(batch);
                }

                await call.RequestStream.CompleteAsync();
                Interlocked.Add(ref stored, (await call).RecordsStored);
            }
        }));
        return stored;
    }

    await RunAsync(TimeSpan.FromSeconds(warmup));
    var cpuBefore = servers.ProcessorTime();
    var clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    var records = await RunAsync(TimeSpan.FromSeconds(seconds));
    var elapsed = Stopwatch.GetElapsedTime(started);
    var cpu = servers.ProcessorTime() - cpuBefore;
    var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  devices    {clientCpu.TotalMicroseconds / records,8:F2} us CPU per record (the simulated devices' side)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  measured   {records / elapsed.TotalSeconds,8:F0} records/s stored   ({records} records in {elapsed.TotalSeconds:F1} s, devices and server on the same cores)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  server     {cpu.TotalMicroseconds / records,8:F2} us CPU per record   = {2_000_000 / (cpu.TotalMicroseconds / records):F0} records/s on 2 dedicated cores"));
    foreach (var c in channels)
    {
        c.Dispose();
    }
}

static async Task HostAsync(string root, string reuse, string? database, string? sharedData)
{
    var data = sharedData is null ? Directory.CreateTempSubdirectory("edgedeploy-loadbench-") : null;
    try
    {
        var app = UpdateServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--EdgeDeploy:HttpUrls=", // no HTTP/1.1 listener: one address below
            "--Logging:LogLevel:Default=Warning",
            // Replicas share one data directory: the same assignment key (the state itself is in PostgreSQL).
            $"--EdgeDeploy:DataDirectory={sharedData ?? Path.Combine(data!.FullName, "data")}",
            $"--EdgeDeploy:Database={database ?? "sqlite"}",
            $"--EdgeDeploy:TrustDirectory={Path.Combine(root, "models", "trust")}",
            "--EdgeDeploy:OperatorToken=bench-operator",
            "--EdgeDeploy:EnrollmentToken=bench-enrol",
            $"--EdgeDeploy:AssignmentReuse={reuse}",
            // The harness measures ingestion, not the per-device quota that protects a real server from one device.
            "--EdgeDeploy:TelemetryRecordsPerDevicePerMinute=1000000000",
            "--EdgeDeploy:TelemetryBytesPerDevicePerMinute=1000000000000",
        ]);
        await app.StartAsync();
        Console.WriteLine("listening on " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        await app.DisposeAsync();
    }
    finally
    {
        data?.Delete(recursive: true);
    }
}

static async Task<string[]> SetUpFleetAsync(GrpcChannel channel, int devices, string root)
{
    var operatorHeaders = new Metadata { { "authorization", "Bearer bench-operator" } };
    var registry = new RegistryService.RegistryServiceClient(channel);
    await PublishIrisAsync(registry, operatorHeaders, root);

    var client = new DeviceService.DeviceServiceClient(channel);
    var tokens = new string[devices];
    for (var i = 0; i < devices; i++)
    {
        var request = new RegisterRequest { DeviceId = $"bench-{i:D5}", EnrollmentToken = "bench-enrol", RuntimeVersion = "0.1.0" };
        request.Attributes.Add("region", i % 2 == 0 ? "eu" : "us");
        tokens[i] = (await client.RegisterAsync(request)).DeviceToken;
    }

    // Two live rollouts so every check-in walks real planning: everything on 1.0.0 in eu, a 30% canary of it in us.
    var eu = new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce };
    eu.TargetAttributes.Add("region", "eu");
    await registry.CreateRolloutAsync(eu, operatorHeaders);
    var us = new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.Canary, CanaryPercent = 30 };
    us.TargetAttributes.Add("region", "us");
    await registry.CreateRolloutAsync(us, operatorHeaders);
    return tokens;
}

static async Task<(long Count, long Errors, double[] LatenciesMs, TimeSpan Elapsed)> RunAsync(GrpcChannel[] channels, string[] tokens, int concurrency, TimeSpan duration)
{
    var headers = tokens.Select(t => new Metadata { { "authorization", "Bearer " + t } }).ToArray();
    var clients = channels.Select(c => new DeviceService.DeviceServiceClient(c)).ToArray();
    var request = new CheckInRequest { Installed = { new InstalledModel { Name = "iris-classifier", Version = "1.0.0" } } };
    var perWorker = new List<double>[concurrency];
    long count = 0, errors = 0, next = 0;
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async w =>
    {
        var latencies = perWorker[w] = new List<double>(1 << 16);
        var client = clients[w % clients.Length];
        while (stopwatch.Elapsed < duration)
        {
            var device = (int)(Interlocked.Increment(ref next) % tokens.Length);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await client.CheckInAsync(request, headers[device]);
                Interlocked.Increment(ref count);
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref errors);
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }).ToArray();
    await Task.WhenAll(workers);
    return (count, errors, [.. perWorker.SelectMany(l => l)], stopwatch.Elapsed);
}

static double Percentile(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

static async Task PublishIrisAsync(RegistryService.RegistryServiceClient registry, Metadata operatorHeaders, string root)
{
    using var publish = registry.PublishPackage(operatorHeaders);
    await publish.RequestStream.WriteAsync(new PublishChunk { Data = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(Path.Combine(root, "models", "iris_classifier.edgepkg"))) });
    await publish.RequestStream.CompleteAsync();
    await publish;
}

/// <summary>
/// The server processes of one run: one on SQLite, or <c>replicas</c> on a fresh PostgreSQL database (created here and
/// dropped at the end). Replicas start one after the other, sharing a data directory for the assignment key.
/// </summary>
internal sealed class Servers : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private string? _adminConnection;
    private string? _databaseName;
    private DirectoryInfo? _sharedData;

    public List<string> Addresses { get; } = [];

    public static async Task<Servers> StartAsync(string reuse, string? database, int replicas)
    {
        var servers = new Servers();
        string? connection = null;
        if (database is not null)
        {
            servers._adminConnection = database;
            servers._databaseName = "edgedeploy_bench_" + Guid.NewGuid().ToString("N");
            await using (var admin = new Npgsql.NpgsqlConnection(database))
            {
                await admin.OpenAsync();
                await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {servers._databaseName};", admin);
                await create.ExecuteNonQueryAsync();
            }

            connection = new Npgsql.NpgsqlConnectionStringBuilder(database) { Database = servers._databaseName, MaxPoolSize = 40 }.ConnectionString;
            servers._sharedData = Directory.CreateTempSubdirectory("edgedeploy-loadbench-");
        }

        for (var i = 0; i < replicas; i++)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!, [.. Environment.GetCommandLineArgs().Skip(1).Where(a => a.EndsWith(".dll", StringComparison.Ordinal)), "--host", reuse])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (connection is not null)
            {
                info.ArgumentList.Add("--host-database");
                info.ArgumentList.Add(connection);
                info.ArgumentList.Add("--host-data");
                info.ArgumentList.Add(servers._sharedData!.FullName);
            }

            var process = Process.Start(info)!;
            servers._processes.Add(process);
            // Skip what the server logs first (the cleartext-on-loopback warning, say) up to its address line.
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("listening on ", StringComparison.Ordinal))
            {
            }

            servers.Addresses.Add(line?["listening on ".Length..] ?? throw new InvalidOperationException("the server process ended before printing its address"));
        }

        return servers;
    }

    /// <summary>CPU time of every server process so far.</summary>
    public TimeSpan ProcessorTime()
    {
        var total = TimeSpan.Zero;
        foreach (var p in _processes)
        {
            p.Refresh();
            total += p.TotalProcessorTime;
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            p.StandardInput.Close();
            await p.WaitForExitAsync();
            p.Dispose();
        }

        if (_databaseName is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var admin = new Npgsql.NpgsqlConnection(_adminConnection);
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE);", admin);
            await drop.ExecuteNonQueryAsync();
        }

        _sharedData?.Delete(recursive: true);
    }
}
