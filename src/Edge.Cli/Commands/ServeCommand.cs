using System.CommandLine;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Serving;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// <c>edge serve</c>: the device stores behind the Open Inference Protocol (KServe V2) over REST/JSON and gRPC, so apps
/// in any language (and Triton/KServe/MLServer clients) predict through the store: gate, routes, telemetry and all.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var stores = new Option<string[]>("--store") { Description = "Store directory (repeatable: one model per store).", Required = true };
        var trust = new Option<string>("--trust") { Description = "Device trust directory.", Required = true };
        var telemetry = new Option<string?>("--telemetry") { Description = "Record predictions and ground truth into this SQLite outbox (the agent uploads it)." };
        var listen = new Option<string>("--listen") { Description = "REST address host:port (port 0 picks one). Anything but loopback needs --tls-cert/--tls-key and a token.", DefaultValueFactory = _ => "127.0.0.1:8000" };
        var grpcListen = new Option<string>("--grpc-listen") { Description = "gRPC address host:port, or 'off'.", DefaultValueFactory = _ => "127.0.0.1:8001" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate for TLS on both listeners." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var token = new Option<string?>("--token") { Description = "Bearer token every request must carry; visible to other users in ps: prefer EDGE_SERVE_TOKEN or --token-file." };
        var tokenFile = new Option<string?>("--token-file") { Description = "File holding the bearer token (owner-only)." };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Inference requests run at once.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var queue = new Option<int>("--max-queue") { Description = "Inference requests waiting for a slot; more are refused with 429 / ResourceExhausted.", DefaultValueFactory = _ => 64 };
        var threads = CommonOptions.Threads();
        var command = new Command("serve", "Serve the stores' models over the Open Inference Protocol (KServe V2): REST/JSON and gRPC, until Ctrl+C.")
        {
            stores, trust, telemetry, listen, grpcListen, tlsCert, tlsKey, token, tokenFile, concurrency, queue, threads,
        };
        command.SetAction((r, ct) => CommonOptions.GuardAsync(async () =>
        {
            var options = new InferenceServerOptions
            {
                HttpAddress = r.GetValue(listen)!,
                GrpcAddress = r.GetValue(grpcListen) is "off" ? null : r.GetValue(grpcListen),
                TlsCertificateFile = r.GetValue(tlsCert),
                TlsKeyFile = r.GetValue(tlsKey),
                BearerToken = Secrets.Resolve(r.GetValue(token), "--token", r.GetValue(tokenFile), "--token-file", "EDGE_SERVE_TOKEN"),
                MaxConcurrency = r.GetValue(concurrency),
                MaxQueue = r.GetValue(queue),
            };
            options.Validate(); // before any store opens: a refused configuration touches nothing

            using var recorder = r.GetValue(telemetry) is { } db ? TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db }) : null;
            var opened = new List<ModelStore>();
            try
            {
                foreach (var dir in r.GetValue(stores)!)
                {
                    var store = ModelStore.Open(new ModelStoreOptions
                    {
                        Directory = dir,
                        Trust = TrustStore.Open(r.GetValue(trust)!, dir),
                        Telemetry = recorder,
                        ModelOptions = CommonOptions.ToOptions("cpu", r.GetValue(threads)),
                    });
                    opened.Add(store);
                    if (store.ActiveVersion is null)
                    {
                        throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Store '{dir}' serves no model yet; install a package first (edge store install).");
                    }
                }

                using var logging = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
                await using var server = await InferenceServer.StartAsync(opened, new InferenceServerOptions
                {
                    HttpAddress = options.HttpAddress,
                    GrpcAddress = options.GrpcAddress,
                    TlsCertificateFile = options.TlsCertificateFile,
                    TlsKeyFile = options.TlsKeyFile,
                    BearerToken = options.BearerToken,
                    MaxConcurrency = options.MaxConcurrency,
                    MaxQueue = options.MaxQueue,
                    LoggerFactory = logging,
                }, ct);
                foreach (var store in opened)
                {
                    Console.WriteLine($"serving: {store.ModelName} {store.ActiveVersion}");
                }

                Console.WriteLine($"rest: {server.HttpAddress}");
                Console.WriteLine($"grpc: {server.GrpcAddress?.ToString() ?? "off"}");
                Console.Out.Flush();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: stop accepting, let running requests finish
                }

                Console.WriteLine("stopping");
                return 0;
            }
            finally
            {
                recorder?.Flush(TimeSpan.FromSeconds(10));
                foreach (var store in opened)
                {
                    store.Dispose();
                }
            }
        }));
        return command;
    }
}
