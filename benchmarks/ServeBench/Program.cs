// edge serve benchmark: the same model (models/iris_classifier.edgepkg, one row per request) through
//   in-process  ModelStore.Predict in this process (the floor),
//   rest        edge serve's REST/JSON API (V2 JSON bodies over HTTP/1.1 keep-alive, one connection per client),
//   grpc        edge serve's gRPC API (ModelInfer, typed contents, one HTTP/2 channel),
//   node        onnxruntime-node 1.30.0 behind a minimal node http server (ort-server.js) taking the same JSON body,
// each at 1 and 16 concurrent clients, with requests/s, p50 and p99 and the ratios to in-process from the same run.
// The server is edge serve's InferenceServer in this process, or with --edge PATH the published `edge serve` binary
// as a child process. Clients and servers share the machine's cores. Usage:
//   dotnet run -c Release --project benchmarks/ServeBench -- [--seconds 5] [--warmup 2] [--clients 1,16] [--edge artifacts/serve-edge/edge] [--no-node]
// onnxruntime-node is installed on first use with `npm install onnxruntime-node@1.30.0` under artifacts/serve-bench.
extern alias serving;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using Grpc.Net.Client;
using Inference;
using serving::EdgeDeploy.Serving;

var seconds = BenchArgs.Int("--seconds", 5);
var warmup = BenchArgs.Int("--warmup", 2);
var clientCounts = (BenchArgs.String("--clients") ?? "1,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var edge = BenchArgs.String("--edge");
var withNode = !BenchArgs.Has("--no-node");
var root = BenchArgs.RepoRoot();
var work = Directory.CreateTempSubdirectory("servebench-");
float[] row = [5.1f, 3.5f, 1.4f, 0.2f];
const string Model = "iris-classifier";
var jsonBody = Encoding.UTF8.GetBytes("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""");

try
{
    var trustDir = Path.Combine(work.FullName, "trust");
    var trust = TrustStore.Initialize(trustDir, File.ReadAllBytes(Path.Combine(root, "models/trust/root-v1.json")));
    trust.UpdateRoot(File.ReadAllBytes(Path.Combine(root, "models/trust/root.json")));
    var storeDir = Path.Combine(work.FullName, "store");
    using var store = ModelStore.Open(new ModelStoreOptions
    {
        Directory = storeDir,
        Trust = TrustStore.Open(trustDir, storeDir),
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu, IntraOpThreads = 1 },
    });
    var installed = store.Install(Path.Combine(root, "models/iris_classifier.edgepkg"));
    Console.WriteLine($"model: {store.ModelName} {installed.Version} ({installed.Outcome}); {Environment.ProcessorCount} cores; {seconds} s per run after {warmup} s warm-up");

    var inputs = new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create(row, [1, 4]) };
    var results = new List<Result>();
    foreach (var clients in clientCounts)
    {
        results.Add(await Measure("in-process", clients, _ => () => { store.Predict(inputs); return Task.CompletedTask; }));
    }

    // edge serve: in this process, or the published binary as a child (then the store above is only the floor).
    Process? edgeProcess = null;
    Uri restAddress, grpcAddress;
    InferenceServer? server = null;
    if (edge is null)
    {
        server = await InferenceServer.StartAsync([store], new InferenceServerOptions { HttpAddress = "127.0.0.1:0", GrpcAddress = "127.0.0.1:0", MaxConcurrency = 64, MaxQueue = 256 });
        (restAddress, grpcAddress) = (server.HttpAddress, server.GrpcAddress!);
    }
    else
    {
        store.Dispose(); // the child opens the same store directory
        edgeProcess = Start(Path.GetFullPath(edge, root), ["serve", "--store", storeDir, "--trust", trustDir, "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--max-concurrency", "64", "--max-queue", "256"]);
        var lines = ReadUntil(edgeProcess, l => l.StartsWith("grpc: ", StringComparison.Ordinal));
        restAddress = new Uri(lines.First(l => l.StartsWith("rest: ", StringComparison.Ordinal))[6..]);
        grpcAddress = new Uri(lines.First(l => l.StartsWith("grpc: ", StringComparison.Ordinal))[6..]);
    }

    try
    {
        foreach (var clients in clientCounts)
        {
            results.Add(await Measure("rest", clients, _ => RestClient(restAddress, $"/v2/models/{Model}/infer")));
        }

        using var channel = GrpcChannel.ForAddress(grpcAddress, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = new ModelInferRequest { ModelName = Model };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.Add([1, 4]);
        input.Contents.Fp32Contents.Add(row);
        request.Inputs.Add(input);
        foreach (var clients in clientCounts)
        {
            results.Add(await Measure("grpc", clients, _ => async () => await grpc.ModelInferAsync(request)));
        }
    }
    finally
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        Stop(edgeProcess);
    }

    if (withNode)
    {
        var modules = Path.Combine(root, "artifacts/serve-bench/node_modules");
        if (!Directory.Exists(Path.Combine(modules, "onnxruntime-node")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(modules)!);
            Console.WriteLine("installing onnxruntime-node@1.30.0 under artifacts/serve-bench ...");
            using var npm = Process.Start(new ProcessStartInfo("npm", ["install", "onnxruntime-node@1.30.0", "--no-audit", "--no-fund", "--silent"]) { WorkingDirectory = Path.GetDirectoryName(modules)! })!;
            await npm.WaitForExitAsync();
        }

        var node = Start("node", [Path.Combine(root, "benchmarks/ServeBench/ort-server.js"), Path.Combine(root, "models/iris_classifier.onnx"), modules]);
        try
        {
            var port = ReadUntil(node, l => l.StartsWith("listening ", StringComparison.Ordinal))[^1]["listening ".Length..];
            var nodeAddress = new Uri($"http://127.0.0.1:{port}");
            foreach (var clients in clientCounts)
            {
                results.Add(await Measure("node", clients, _ => RestClient(nodeAddress, "/v2/models/iris/infer")));
            }
        }
        finally
        {
            Stop(node);
        }
    }

    Console.WriteLine();
    Console.WriteLine("| path | clients | requests/s | p50 ms | p99 ms | req/s vs in-process | p50 vs in-process |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var r in results)
    {
        var floor = results.First(b => b.Path == "in-process" && b.Clients == r.Clients);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Path} | {r.Clients} | {r.PerSecond:N0} | {r.P50:F3} | {r.P99:F3} | {r.PerSecond / floor.PerSecond:F3} | {r.P50 / floor.P50:F1}x |"));
    }
}
finally
{
    work.Delete(recursive: true);
}

Func<Task> RestClient(Uri address, string path)
{
    // One keep-alive connection per client, as a small app would hold.
    var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = address };
    return async () =>
    {
        using var content = new ByteArrayContent(jsonBody);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        }
    };
}

async Task<Result> Measure(string path, int clients, Func<int, Func<Task>> clientFactory)
{
    var calls = Enumerable.Range(0, clients).Select(clientFactory).ToArray();
    var latencies = new List<double>[clients];
    var warmEnd = Stopwatch.GetTimestamp() + (long)(warmup * (double)Stopwatch.Frequency);
    var end = warmEnd + (long)(seconds * (double)Stopwatch.Frequency);
    var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
    {
        var mine = latencies[c] = new List<double>(100_000);
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= end)
            {
                return;
            }

            await calls[c]();
            if (start >= warmEnd)
            {
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
    })).ToArray();
    await Task.WhenAll(tasks);
    var all = latencies.SelectMany(l => l).Order().ToArray();
    var result = new Result(path, clients, all.Length / (double)seconds, Percentile(all, 0.50), Percentile(all, 0.99));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path,-10} clients {clients,2}: {result.PerSecond,9:N0} req/s  p50 {result.P50:F3} ms  p99 {result.P99:F3} ms"));
    return result;
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

static Process Start(string file, string[] args)
{
    var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = false };
    return Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
}

static List<string> ReadUntil(Process process, Func<string, bool> last)
{
    var lines = new List<string>();
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"{process.StartInfo.FileName} exited: {string.Join('\n', lines)}");
        lines.Add(line);
        if (last(line))
        {
            return lines;
        }
    }

    throw new TimeoutException($"{process.StartInfo.FileName} did not start: {string.Join('\n', lines)}");
}

static void Stop(Process? process)
{
    if (process is null)
    {
        return;
    }

    process.StandardInput.Close(); // node exits when stdin ends
    if (!process.WaitForExit(2000))
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(5000);
    }

    process.Dispose();
}

internal sealed record Result(string Path, int Clients, double PerSecond, double P50, double P99);
