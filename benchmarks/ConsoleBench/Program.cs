// Console page benchmark: the real update server (in this process, SQLite in a temp directory) seeded through its own
// stores with a fleet of devices and a week of telemetry (predictions with ground truth, hourly health reports, drift
// counts), then each console page fetched over HTTP/1.1 on 127.0.0.1 as a signed-in operator. Prints each page's time
// (p50/p95, request sent to last byte read: the server's time plus loopback) against the 300 ms goal. Usage:
//   dotnet run -c Release --project benchmarks/ConsoleBench -- [--devices 1000] [--days 7] [--per-hour 6] [--runs 20]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

var devices = BenchArgs.Int("--devices", 1000);
var days = BenchArgs.Int("--days", 7);
var perHour = BenchArgs.Int("--per-hour", 6);
var runs = BenchArgs.Int("--runs", 20);
const double GoalMs = 300;
var root = BenchArgs.RepoRoot();
var data = Directory.CreateTempSubdirectory("edgedeploy-consolebench-");
var grpcUrl = $"http://127.0.0.1:{FreePort()}";
var consoleUrl = $"http://127.0.0.1:{FreePort()}";
try
{
    var app = UpdateServerApp.Build(
    [
        "--urls", grpcUrl,
        $"--EdgeDeploy:HttpUrls={consoleUrl}",
        "--Logging:LogLevel:Default=Warning",
        $"--EdgeDeploy:DataDirectory={Path.Combine(data.FullName, "data")}",
        "--EdgeDeploy:Database=sqlite",
        $"--EdgeDeploy:TrustDirectory={Path.Combine(root, "models", "trust")}",
        "--EdgeDeploy:OperatorToken=bench-operator",
        "--EdgeDeploy:EnrollmentToken=bench-enrol",
        "--EdgeDeploy:RolloutEvaluationInterval=01:00:00",
    ]);
    var store = app.Services.GetRequiredService<IUpdateStore>();
    var telemetry = app.Services.GetRequiredService<ITelemetryStore>();
    var package = Path.Combine(root, "models", "iris_classifier.edgepkg");
    var manifest = PackageVerifier.ReadUnverifiedManifest(package);
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    var seeding = Stopwatch.StartNew();
    var predictions = await SeedAsync(store, telemetry, manifest, devices, days, perHour, now);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"EdgeDeploy console pages (SQLite): {devices} devices, {days} days of telemetry ({predictions:N0} predictions, {devices * days * 24:N0} health reports, drift every 6 h), seeded in {seeding.Elapsed.TotalSeconds:F0} s; {Environment.ProcessorCount} cores"));

    await app.StartAsync();
    using var channel = GrpcChannel.ForAddress(grpcUrl);
    var registry = new RegistryService.RegistryServiceClient(channel);
    var op = new Metadata { { "authorization", "Bearer bench-operator" } };
    await PublishAsync(registry, op, package);
    var create = new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.Staged };
    create.Stages.AddRange([10, 50, 100]);
    var rollout = await registry.CreateRolloutAsync(create, op);
    for (var i = 0; i < devices; i += 3)
    {
        await store.AddInstallReportAsync(new InstallReportRecord(Device(i), rollout.Id, "iris-classifier", "1.0.0", i % 30 != 0, i % 30 != 0 ? string.Empty : "gate: confidence below minimum", now - 60_000), CancellationToken.None);
    }

    using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(consoleUrl), Timeout = TimeSpan.FromMinutes(10) };
    await SignInAsync(http);
    var version = Uri.EscapeDataString("iris-classifier 1.0.0");
    string[] pages =
    [
        "/console/fleet",
        "/console/fleet?status=online&page=3",
        "/console/fleet?tag=store-7",
        $"/console/devices/{Device(42)}",
        "/console/models",
        "/console/models/iris-classifier/1.0.0",
        "/console/rollouts",
        $"/console/rollouts/{rollout.Id}",
        $"/console/monitoring?version={version}&hours=24",
        $"/console/monitoring?version={version}&hours=168",
        $"/console/monitoring/drift?version={version}&hours=168",
        "/console/audit",
    ];
    Console.WriteLine($"{"page",-58} {"first ms",9} {"p50 ms",8} {"p95 ms",8} {"KiB",6}  goal {GoalMs} ms (p95)");
    var worst = 0.0;
    foreach (var page in pages)
    {
        var times = new List<double>();
        var first = 0.0;
        long bytes = 0;
        for (var i = 0; i < runs + 3; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(page);
            var body = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{page}: {(int)response.StatusCode}");
            }

            bytes = body.Length;
            if (i == 0)
            {
                first = watch.Elapsed.TotalMilliseconds; // cold: nothing cached yet
            }

            if (i >= 3)
            {
                times.Add(watch.Elapsed.TotalMilliseconds); // the first three warm up (JIT, caches)
            }
        }

        times.Sort();
        var p50 = Percentile(times, 0.50);
        var p95 = Percentile(times, 0.95);
        worst = Math.Max(worst, p95);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{page,-58} {first,9:F1} {p50,8:F1} {p95,8:F1} {bytes / 1024.0,6:F0}  {(p95 <= GoalMs ? "ok" : "OVER")}"));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"slowest p95 {worst:F1} ms: {(worst <= GoalMs ? "every page within" : "over")} the {GoalMs} ms goal"));
    await app.StopAsync();
    await app.DisposeAsync();
    return worst <= GoalMs ? 0 : 1;
}
finally
{
    data.Delete(recursive: true);
}

static string Device(int i) => $"dev-{i:D5}";

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task<long> SeedAsync(IUpdateStore store, ITelemetryStore telemetry, PackageManifest manifest, int devices, int days, int perHour, long now)
{
    var hours = days * 24;
    var installed = new[] { new InstalledVersion("iris-classifier", "1.0.0") };
    var checkIns = new List<CheckInRecord>();
    for (var i = 0; i < devices; i++)
    {
        var attributes = new Dictionary<string, string> { ["region"] = i % 2 == 0 ? "eu" : "us", ["hw"] = i % 3 == 0 ? "pi5" : "jetson" };
        await store.UpsertDeviceAsync(new DeviceRecord(Device(i), Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), attributes, [$"store-{i % 50}", i % 10 == 0 ? "canary" : "lane"], "0.1.0", now - (hours * 3_600_000L), 0), CancellationToken.None);

        // Most devices checked in a moment ago; some went quiet an hour ago, a few a week ago.
        var seen = i % 20 == 0 ? now - (hours * 3_600_000L) : i % 7 == 0 ? now - 3_600_000 : now - (i % 60 * 1000);
        checkIns.Add(new CheckInRecord(Device(i), seen, installed));
    }

    await store.RecordCheckInsAsync(checkIns, CancellationToken.None);

    var reference = manifest.DriftReference!;
    var distributions = reference.Features.Concat(reference.Outputs).ToList();
    var random = new Random(7);
    long predictions = 0;
    var health = new List<HealthRecord>();
    var drift = new List<DriftRecord>();
    for (var i = 0; i < devices; i++)
    {
        for (var day = 0; day < days; day++)
        {
            var records = new List<IngestedPrediction>();
            var truths = new List<IngestedGroundTruth>();
            for (var h = 0; h < 24; h++)
            {
                var hourStart = now - ((hours - (day * 24) - h) * 3_600_000L);
                var buckets = new long[LatencyHistogram.BucketCount];
                for (var k = 0; k < perHour; k++)
                {
                    var id = Guid.NewGuid();
                    var at = hourStart + random.NextInt64(3_600_000);
                    var predicted = random.Next(3);
                    records.Add(new IngestedPrediction(id, "iris-classifier", "1.0.0", at, 150 + (random.NextDouble() * 400), false, 4, 0, predicted, 1UL << predicted));
                    if (k % 3 == 0)
                    {
                        truths.Add(new IngestedGroundTruth(id, random.NextDouble() < 0.93 ? predicted : (predicted + 1) % 3, at + 1000));
                    }

                    buckets[Math.Min(LatencyHistogram.BucketCount - 1, 4 + random.Next(3))]++;
                }

                health.Add(new HealthRecord(Device(i), "iris-classifier", "1.0.0", false, hourStart + 3_000_000, perHour, random.Next(50) == 0 ? 1 : 0, buckets, perHour / 3, perHour / 3, 0));
                if (h % 6 == 0)
                {
                    foreach (var d in distributions)
                    {
                        var bins = d.Fractions.Count + (d.Kind == FeatureKind.Categorical ? 1 : 0);
                        var counts = new long[bins];
                        for (var k = 0; k < perHour * 6; k++)
                        {
                            counts[random.Next(bins)]++;
                        }

                        drift.Add(new DriftRecord(Device(i), "iris-classifier", "1.0.0", hourStart, d.Name, counts, 0));
                    }
                }
            }

            await telemetry.StoreBatchAsync(new TelemetryBatchRecord(Device(i), $"{Device(i)}-{day}", records, truths), now, CancellationToken.None);
            predictions += records.Count;
        }

        if (health.Count >= 20_000)
        {
            await store.AddHealthAsync(health, CancellationToken.None);
            await store.AddDriftAsync(drift, CancellationToken.None);
            health.Clear();
            drift.Clear();
        }
    }

    await store.AddHealthAsync(health, CancellationToken.None);
    await store.AddDriftAsync(drift, CancellationToken.None);
    for (var i = 0; i < 2000; i++)
    {
        await store.AppendAuditAsync(new EdgeDeploy.UpdateServer.Storage.AuditRecord(0, now - ((2000 - i) * 60_000L), i % 3 == 0 ? "dora" : "operator", "deployer", "PauseRollout", $"rollout ro-{i % 40}", "bench", "ok"), CancellationToken.None);
    }

    return predictions;
}

static async Task PublishAsync(RegistryService.RegistryServiceClient registry, Metadata op, string path)
{
    using var call = registry.PublishPackage(op);
    var bytes = await File.ReadAllBytesAsync(path);
    await call.RequestStream.WriteAsync(new PublishChunk { Data = Google.Protobuf.ByteString.CopyFrom(bytes) });
    await call.RequestStream.CompleteAsync();
    await call;
}

static async Task SignInAsync(HttpClient http)
{
    var form = await http.GetStringAsync("/console/sign-in");
    var token = Regex.Match(form, "name=\"__csrf\" value=\"([^\"]+)\"").Groups[1].Value;
    using var response = await http.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["__csrf"] = token, ["token"] = "bench-operator" }));
    if (response.StatusCode != HttpStatusCode.Redirect)
    {
        throw new InvalidOperationException("sign-in failed: " + (int)response.StatusCode);
    }
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

