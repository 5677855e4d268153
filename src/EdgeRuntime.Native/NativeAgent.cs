using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeDeploy.Runtime.Agent;
using Grpc.Core;

namespace EdgeDeploy.Runtime.Native;

/// <summary>
/// An update agent running in the background for the C ABI: check-in cycles on a thread-pool task until stopped, with
/// the outcome of the last cycle kept for <c>edge_agent_status</c>.
/// </summary>
internal sealed class NativeAgent
{
    private readonly UpdateAgent _agent;
    private readonly NativeStore _store;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task _loop;
    private long _cycles;
    private int _lastCode;
    private string? _lastMessage;

    public NativeAgent(UpdateAgent agent, NativeStore store, TimeSpan interval)
    {
        _agent = agent;
        _store = store;
        _interval = interval;
        store.AgentStarted();
        _loop = Task.Run(LoopAsync);
    }

    public (long Cycles, int LastCode, string? LastMessage) Status
    {
        get
        {
            lock (_gate)
            {
                return (_cycles, _lastCode, _lastMessage);
            }
        }
    }

    /// <summary>Cancels the loop, waits for the cycle in flight to end, releases the agent.</summary>
    public void Stop()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
        {
            // Stopped mid-cycle.
        }
        finally
        {
            _agent.Dispose();
            _stop.Dispose();
            _store.AgentStopped();
        }
    }

    private async Task LoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            (int Code, string? Message) outcome;
            try
            {
                var cycle = await _agent.RunOnceAsync(token).ConfigureAwait(false);
                outcome = cycle.Failed.Count == 0
                    ? (0, $"Serving {cycle.Serving ?? "nothing"}; installed this cycle: {(cycle.Installed.Count == 0 ? "none" : string.Join(", ", cycle.Installed))}.")
                    : ((int)EdgeErrorCode.UpdateFailed, $"{EdgeErrorCode.UpdateFailed}: {string.Join("; ", cycle.Failed)}");
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex) when (!token.IsCancellationRequested)
            {
                // No server: the store keeps serving what it has (until the offline grace runs out).
                outcome = ((int)EdgeErrorCode.UpdateServerUnavailable, $"{EdgeErrorCode.UpdateServerUnavailable}: {ex.Status.StatusCode}: {ex.Status.Detail}");
            }
            catch (EdgeException ex)
            {
                outcome = ((int)ex.Code, $"{ex.Code}: {ex.Message}");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcome = ((int)EdgeErrorCode.InvalidArgument, $"{ex.GetType().Name}: {ex.Message}");
            }

            lock (_gate)
            {
                _cycles++;
                (_lastCode, _lastMessage) = outcome;
            }

            try
            {
                await Task.Delay(_interval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <content>The update agent through the C ABI: start in the background, status, stop.</content>
internal static unsafe partial class NativeExports
{
    /// <summary>
    /// Starts the update agent for a store in the background. config_json (UTF-8 JSON object): server, device_id,
    /// enrollment_token, server_key_file (PEM), state_dir; optional interval_seconds (default 60), ca_file,
    /// client_cert_file, client_key_file, offline_grace_seconds, tags (array of strings).
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_agent_start")]
    public static int AgentStart(IntPtr store, byte* configJson, IntPtr* agent) => Guard(() =>
    {
        Require(configJson != null && agent != null, "config_json and agent must not be NULL.");
        *agent = IntPtr.Zero;
        var s = Store(store);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(Utf8(configJson));
        }
        catch (JsonException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"config_json is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            Require(root.ValueKind == JsonValueKind.Object, "config_json must be a JSON object.");
            var server = RequiredString(root, "server");
            Require(Uri.TryCreate(server, UriKind.Absolute, out var address), $"server '{server}' is not an absolute http:// or https:// address.");
            var interval = OptionalNumber(root, "interval_seconds") ?? 60;
            Require(interval is > 0 and <= 86_400, $"interval_seconds ({interval}) must be between 0 and 86400.");
            var grace = OptionalNumber(root, "offline_grace_seconds");
            var options = new UpdateAgentOptions
            {
                ServerAddress = address!,
                DeviceId = RequiredString(root, "device_id"),
                EnrollmentToken = OptionalString(root, "enrollment_token") ?? string.Empty,
                AssignmentPublicKeyPem = File.ReadAllText(RequiredString(root, "server_key_file")),
                StateDirectory = RequiredString(root, "state_dir"),
                ServerCaFile = OptionalString(root, "ca_file"),
                ClientCertificateFile = OptionalString(root, "client_cert_file"),
                ClientKeyFile = OptionalString(root, "client_key_file"),
                OfflineGrace = grace is { } g ? TimeSpan.FromSeconds(g) : Timeout.InfiniteTimeSpan,
                Tags = root.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array ? tags.EnumerateArray().Select(t => t.GetString() ?? string.Empty).ToArray() : [],
                Store = s.Store,
                Telemetry = s.Telemetry,
                PollInterval = TimeSpan.FromSeconds(interval),
            };
            var running = new NativeAgent(UpdateAgent.Create(options), s, TimeSpan.FromSeconds(interval));
            *agent = GCHandle.ToIntPtr(GCHandle.Alloc(running));
        }
    });

    /// <summary>
    /// The agent's progress: cycles completed and the last cycle's result (0 or an error code); message (NULL allowed)
    /// gets that cycle's one-line summary or error, truncated to message_capacity.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_agent_status")]
    public static int AgentStatus(IntPtr agent, long* cycles, int* lastCode, byte* message, nuint messageCapacity) => Guard(() =>
    {
        Require(cycles != null && lastCode != null, "cycles and last_code must not be NULL.");
        var (count, code, text) = Agent(agent).Status;
        *cycles = count;
        *lastCode = code;
        if (message != null && messageCapacity > 0)
        {
            // Truncated to fit: a status line, not data.
            var bytes = System.Text.Encoding.UTF8.GetBytes(text ?? string.Empty);
            var n = (int)Math.Min((nuint)bytes.Length, messageCapacity - 1);
            bytes.AsSpan(0, n).CopyTo(new Span<byte>(message, n));
            message[n] = 0;
        }
    });

    /// <summary>Stops the agent (waits for the cycle in flight) and releases it; NULL is ignored.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_agent_stop")]
    public static int AgentStop(IntPtr agent) => agent == IntPtr.Zero ? 0 : Guard(() =>
    {
        var running = Agent(agent);
        GCHandle.FromIntPtr(agent).Free();
        running.Stop();
    });

    private static NativeAgent Agent(IntPtr handle)
    {
        Require(handle != IntPtr.Zero, "agent must not be NULL.");
        return GCHandle.FromIntPtr(handle).Target as NativeAgent ?? throw new EdgeException(EdgeErrorCode.Disposed, "The agent handle was stopped.");
    }

    private static string RequiredString(JsonElement root, string name) =>
        OptionalString(root, name) is { Length: > 0 } value ? value : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"config_json needs a non-empty string '{name}'.");

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"config_json '{name}' must be a string.")
            : null;

    private static double? OptionalNumber(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"config_json '{name}' must be a number.")
            : null;
}
