using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeDeploy.Cli.Commands;

/// <summary><c>edge agent</c>: runs the update agent for a device store against an update server.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Update server address: https://host:port (or http:// on loopback).", Required = true };
        var tls = new ClientTls();
        var deviceId = new Option<string>("--device-id") { Description = "This device's id.", Required = true };
        var enrollment = new Option<string?>("--enrollment-token") { Description = "Fleet enrollment token; visible to other users in ps: prefer EDGE_ENROLLMENT_TOKEN or --enrollment-token-file." };
        var enrollmentFile = new Option<string?>("--enrollment-token-file") { Description = "File holding the fleet enrollment token (owner-only)." };
        var serverKey = new Option<string>("--server-key") { Description = "PEM file with the server's assignment-signing public key.", Required = true };
        var store = new Option<string>("--store") { Description = "Store directory.", Required = true };
        var trust = new Option<string>("--trust") { Description = "Device trust directory.", Required = true };
        var state = new Option<string?>("--state") { Description = "Agent state directory (credential, partial downloads). Default: <store>/../agent." };
        var telemetry = new Option<string?>("--telemetry") { Description = "Telemetry outbox (SQLite); uploaded each cycle." };
        var interval = new Option<double>("--interval") { Description = "Seconds between check-ins.", DefaultValueFactory = _ => 60 };
        var cycles = new Option<int>("--cycles") { Description = "Stop after this many check-ins (0 = until interrupted)." };
        var traffic = new Option<string?>("--traffic")
        {
            Description = "Labelled rows (JSONL with inputs and label) served every cycle, each label recorded as ground truth: simulated traffic for demos and soak tests.",
        };
        var rawSample = new Option<double>("--raw-input-sample")
        {
            Description = "Share (0..1) of recorded predictions whose raw inputs are recorded too, for retraining exports (default 0: off). Only for versions whose model card allows it (privacy.rawInputs Allowed).",
        };
        var tags = new Option<string[]>("--tag") { Description = "Tag reported at registration (repeatable)." };
        var attributes = new Option<string[]>("--attr") { Description = "Attribute key=value reported at registration (repeatable)." };
        var command = new Command("agent", "Run the update agent: check in, install (verify, gate), follow the assignment, report health and telemetry.")
        {
            server, tls, deviceId, enrollment, enrollmentFile, serverKey, store, trust, state, telemetry, interval, cycles, traffic, rawSample, tags, attributes,
        };
        command.SetAction((r, ct) => CommonOptions.GuardAsync(async () =>
        {
            var token = Secrets.Resolve(r.GetValue(enrollment), "--enrollment-token", r.GetValue(enrollmentFile), "--enrollment-token-file", "EDGE_ENROLLMENT_TOKEN") ?? string.Empty;
            var storeDir = r.GetValue(store)!;
            using var recorder = r.GetValue(telemetry) is { } db ? TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db, RawInputSampleRate = r.GetValue(rawSample) }) : null;
            using var modelStore = ModelStore.Open(new ModelStoreOptions
            {
                Directory = storeDir,
                Trust = TrustStore.Open(r.GetValue(trust)!),
                Telemetry = recorder,
                ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
            });
            var (ca, clientCertificate, clientKey) = tls.Files(r);
            using var download = new TerminalProgress("download");
            using var agent = UpdateAgent.Create(new UpdateAgentOptions
            {
                DownloadProgress = new DownloadLine(download),
                ServerAddress = Uri.TryCreate(r.GetValue(server), UriKind.Absolute, out var address) ? address : throw new ArgumentException($"--server '{r.GetValue(server)}' is not an absolute http:// or https:// address."),
                ServerCaFile = ca,
                ClientCertificateFile = clientCertificate,
                ClientKeyFile = clientKey,
                DeviceId = r.GetValue(deviceId)!,
                EnrollmentToken = token,
                StateDirectory = r.GetValue(state) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(storeDir))!, "agent"),
                AssignmentPublicKeyPem = await File.ReadAllTextAsync(r.GetValue(serverKey)!, ct),
                Store = modelStore,
                Telemetry = recorder,
                Attributes = ParseAttributes(r.GetValue(attributes) ?? []),
                Tags = r.GetValue(tags) ?? [],
            });
            var rows = r.GetValue(traffic) is { } path ? ReadRows(path) : null;
            var limit = r.GetValue(cycles);
            var reached = false;
            RpcException? lastFailure = null;

            // Under systemd (Type=notify, deploy/systemd/edge-agent.service) the agent is ready once its store is open
            // and the first check-in was tried; NOTIFY_SOCKET unset (not under systemd) makes this a no-op.
            var systemd = new SystemdNotifier();
            try
            {
                for (var cycle = 1; limit == 0 || cycle <= limit; cycle++)
                {
                    var (answered, failure) = await CycleAsync(agent, modelStore, recorder, rows, cycle, ct);
                    reached |= answered;
                    lastFailure = failure ?? lastFailure;
                    if (cycle == 1 && systemd.IsEnabled)
                    {
                        systemd.Notify(ServiceState.Ready);
                    }

                    if (limit != 0 && cycle == limit)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(r.GetValue(interval)), ct);
                }
            }
            catch (OperationCanceledException)
            {
                // interrupted (Ctrl+C): a normal way to stop
            }

            if (systemd.IsEnabled)
            {
                systemd.Notify(ServiceState.Stopping);
            }

            // The last cycle's predictions, health and drift counts go up before the agent exits (after --cycles, Ctrl+C or SIGTERM).
            if (reached)
            {
                using var flushTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(8));
                var flushed = await agent.FlushAsync(flushTimeout.Token);
                Console.WriteLine(flushed ? "stopping: last health and telemetry sent" : "stopping: could not send the last health and telemetry (kept on the device for the next run)");
            }

            if (!reached && lastFailure is not null)
            {
                // A run that never got an answer from the server is a failure a supervisor or script must see.
                Console.Error.WriteLine(lastFailure.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                    ? $"error: Unavailable: cannot reach {r.GetValue(server)}: {lastFailure.Status.Detail}"
                    : $"error: {lastFailure.StatusCode}: {r.GetValue(server)} refused every check-in: {lastFailure.Status.Detail}");
                return 2;
            }

            return 0;
        }));
        return command;
    }

    /// <returns>Whether the server answered the check-in, and the gRPC failure when it did not (none when interrupted).</returns>
    private static async Task<(bool Answered, RpcException? Failure)> CycleAsync(UpdateAgent agent, ModelStore store, TelemetryRecorder? recorder, List<(Dictionary<string, EdgeTensor> Inputs, double Label)>? rows, int cycle, CancellationToken ct)
    {
        string line;
        RpcException? failure = null;
        var answered = true;
        try
        {
            var result = await agent.RunOnceAsync(ct);
            line = $"cycle {cycle}: serving {result.Serving ?? "-"}"
                + (result.Shadow is { } shadow ? $", shadow {shadow}" : string.Empty)
                + (result.Installed.Count > 0 ? $", installed {string.Join(" ", result.Installed)}" : string.Empty)
                + (result.Failed.Count > 0 ? $", failed {string.Join("; ", result.Failed)}" : string.Empty)
                + (result.Incomplete.Count > 0 ? $", downloading {string.Join(" ", result.Incomplete)}" : string.Empty);
        }
        catch (RpcException ex)
        {
            answered = false;
            failure = ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested ? null : ex;
            line = $"cycle {cycle}: check-in failed ({ex.StatusCode}: {ex.Status.Detail}); serving {store.ActiveVersion ?? "-"}";
        }
        catch (EdgeException ex)
        {
            line = $"cycle {cycle}: assignment refused ({ex.Code}: {ex.Message}); serving {store.ActiveVersion ?? "-"}";
        }

        if (rows is not null && store.ActiveVersion is not null)
        {
            foreach (var (inputs, label) in rows)
            {
                store.RecordGroundTruth(store.Predict(inputs).PredictionId, label);
            }

            recorder?.Flush(TimeSpan.FromSeconds(5));
            line += $"; served {rows.Count} labelled rows";
        }

        Console.WriteLine(line);
        return (answered, failure);
    }

    private static List<(Dictionary<string, EdgeTensor>, double)> ReadRows(string path)
    {
        // The schema comes from the rows themselves: {"inputs": {"name": {"shape": [...], "data": [...]}}, "label": y}, float32 data.
        var rows = new List<(Dictionary<string, EdgeTensor>, double)>();
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var inputs = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
            foreach (var input in doc.RootElement.GetProperty("inputs").EnumerateObject())
            {
                var shape = input.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var data = input.Value.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                inputs[input.Name] = EdgeTensor.Create(data, shape);
            }

            rows.Add((inputs, doc.RootElement.GetProperty("label").GetDouble()));
        }

        return rows;
    }

    private static Dictionary<string, string> ParseAttributes(string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(
            kv => kv[0],
            kv => kv.Length == 2 ? kv[1] : throw new ArgumentException($"--attr '{string.Join("=", kv)}' is not key=value."),
            StringComparer.Ordinal);

    /// <summary>A package download as the terminal progress line, cleared when the package is complete.</summary>
    private sealed class DownloadLine(TerminalProgress line) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            if (value.BytesDone >= value.BytesTotal)
            {
                line.Clear();
                return;
            }

            line.Report(string.Create(CultureInfo.InvariantCulture, $"{value.Model} {value.Version}: {value.BytesDone:N0} of {value.BytesTotal:N0} bytes ({value.BytesDone * 100 / Math.Max(1, value.BytesTotal)}%)"));
        }
    }
}
