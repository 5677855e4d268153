using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Diagnostics;
using EdgeDeploy.UpdateServer.Fleet;
using EdgeDeploy.UpdateServer.Rollouts;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>The real update server on 127.0.0.1 (port chosen by the OS), with a SQLite file in a temp directory.</summary>
public sealed class UpdateServerHost : IAsyncDisposable
{
    public const string OperatorToken = "operator-secret";
    public const string EnrollmentToken = "fleet-enrollment-secret";

    private readonly WebApplication _app;
    private readonly TempDirectory _temp;

    private UpdateServerHost(WebApplication app, TempDirectory temp, Uri address, Uri? httpAddress, Func<Uri, GrpcChannel>? openChannel, CapturedLog log)
    {
        Log = log;
        _app = app;
        _temp = temp;
        Address = address;
        HttpAddress = httpAddress;
        Channel = openChannel?.Invoke(address) ?? GrpcChannel.ForAddress(address);
        Registry = new RegistryService.RegistryServiceClient(Channel);
        Devices = new DeviceService.DeviceServiceClient(Channel);
        Telemetry = new TelemetryService.TelemetryServiceClient(Channel);
    }

    public TelemetryService.TelemetryServiceClient Telemetry { get; }

    internal EdgeDeploy.UpdateServer.Storage.ITelemetryStore TelemetryStore => _app.Services.GetRequiredService<EdgeDeploy.UpdateServer.Storage.ITelemetryStore>();

    /// <summary>The console's reads (what its pages render), for checks that need no browser.</summary>
    internal EdgeDeploy.UpdateServer.WebConsole.ConsoleQueries ConsoleQueries => _app.Services.GetRequiredService<EdgeDeploy.UpdateServer.WebConsole.ConsoleQueries>();

    /// <summary>The gRPC (HTTP/2) listener.</summary>
    public Uri Address { get; }

    /// <summary>The HTTP/1.1 listener (/metrics, /healthz, /readyz); null when turned off.</summary>
    public Uri? HttpAddress { get; }

    public GrpcChannel Channel { get; }

    public RegistryService.RegistryServiceClient Registry { get; }

    public DeviceService.DeviceServiceClient Devices { get; }

    public string TempPath => _temp.Path;

    /// <summary>The server's log (warnings and up), kept out of the console; show it in a failing assertion's message.</summary>
    public CapturedLog Log { get; }

    /// <summary>The server's assignment signing key (give it to a replica).</summary>
    public string AssignmentKeyPath => System.IO.Path.Combine(_temp.Path, "data", "assignment.key");

    public string AssignmentPublicKeyPem => _app.Services.GetRequiredService<AssignmentSigner>().PublicKeyPem;

    /// <summary>One of the running server's services.</summary>
    internal T Service<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    internal ServerMetrics Metrics => _app.Services.GetRequiredService<ServerMetrics>();

    /// <summary>Runs one rollout evaluation now, as the background tick would (tests set that tick to an hour).</summary>
    public Task EvaluateRolloutsAsync() => _app.Services.GetRequiredService<RolloutController>().EvaluateAllAsync(CancellationToken.None);

    /// <summary>Writes batched check-ins to SQLite now.</summary>
    public Task FlushCheckInsAsync() => _app.Services.GetRequiredService<FleetDirectory>().FlushAsync(CancellationToken.None);

    public static Metadata Operator => new() { { "authorization", "Bearer " + OperatorToken } };

    public static Metadata Bearer(string token) => new() { { "authorization", "Bearer " + token } };

    /// <param name="downloadChunkBytes">Download chunk size.</param>
    /// <param name="clock">The server's clock (a FakeTimeProvider lets tests pass device timeouts and stage times).</param>
    /// <param name="evaluationInterval">Background rollout evaluation interval; default an hour, so tests evaluate explicitly.</param>
    /// <param name="database">EdgeDeploy:Database: null for the default (SQLite in the temp directory), or a PostgreSQL connection string.</param>
    /// <param name="settings">More configuration arguments, e.g. "--EdgeDeploy:TelemetryRecordsPerDevicePerMinute=10" (a later "--urls https://127.0.0.1:0" replaces the default).</param>
    /// <param name="openChannel">Opens <see cref="Channel"/> to the server's address (e.g. with a pinned CA and a client certificate); default cleartext.</param>
    /// <param name="assignmentKey">An assignment.key file to start with (a replica signs with the key of the first), or null for a new key.</param>
    public static async Task<UpdateServerHost> StartAsync(int downloadChunkBytes = 64 * 1024, TimeProvider? clock = null, TimeSpan? evaluationInterval = null, string? database = null, IEnumerable<string>? settings = null, Func<Uri, GrpcChannel>? openChannel = null, string? assignmentKey = null)
    {
        var temp = new TempDirectory();
        var log = new CapturedLog();
        if (assignmentKey is not null)
        {
            Directory.CreateDirectory(System.IO.Path.Combine(temp.Path, "data"));
            File.Copy(assignmentKey, System.IO.Path.Combine(temp.Path, "data", "assignment.key"));
        }

        var trust = System.IO.Path.Combine(temp.Path, "server-trust");
        SampleTrust.Create(trust);
        var app = EdgeDeploy.UpdateServer.UpdateServerApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--EdgeDeploy:HttpUrls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            $"--EdgeDeploy:DataDirectory={System.IO.Path.Combine(temp.Path, "data")}",
            $"--EdgeDeploy:TrustDirectory={trust}",
            $"--EdgeDeploy:OperatorToken={OperatorToken}",
            $"--EdgeDeploy:EnrollmentToken={EnrollmentToken}",
            $"--EdgeDeploy:DownloadChunkBytes={downloadChunkBytes}",
            $"--EdgeDeploy:RolloutEvaluationInterval={evaluationInterval ?? TimeSpan.FromHours(1)}",
            $"--EdgeDeploy:Database={database ?? "sqlite"}",
            .. settings ?? [],
        ],
        services =>
        {
            // The log goes to memory (CapturedLog), not the console: expected refusals must not read like failures.
            services.RemoveAll<ILoggerProvider>();
            services.AddSingleton<ILoggerProvider>(log);
            if (clock is not null)
            {
                services.AddSingleton(clock);
            }
        });
        await app.StartAsync();
        var listeners = app.Services.GetRequiredService<EdgeDeploy.UpdateServer.Hosting.ServerListeners>();
        return new UpdateServerHost(app, temp, listeners.GrpcAddresses.Single(), listeners.HttpAddresses.SingleOrDefault(), openChannel, log);
    }

    public async Task<PublishResponse> PublishAsync(byte[] package, Metadata? headers = null)
    {
        using var call = Registry.PublishPackage(headers ?? Operator, deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            for (var offset = 0; offset < package.Length; offset += 1000)
            {
                await call.RequestStream.WriteAsync(new PublishChunk { Data = Google.Protobuf.ByteString.CopyFrom(package, offset, Math.Min(1000, package.Length - offset)) });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server answered before reading everything (a refusal); its status is in the response below.
        }

        return await call;
    }

    public async Task<string> RegisterAsync(string deviceId, params string[] tags)
    {
        var request = new RegisterRequest { DeviceId = deviceId, EnrollmentToken = EnrollmentToken, RuntimeVersion = "0.1.0" };
        request.Tags.AddRange(tags);
        request.Attributes.Add("region", "eu");
        return (await Devices.RegisterAsync(request, deadline: DateTime.UtcNow.AddSeconds(10))).DeviceToken;
    }

    /// <summary>
    /// Fires an alert on this server: publishes the sample iris 1.0.0, rolls it out to a device "sensor-1", adds an
    /// error_rate rule (above 0.1) and reports 5 errors in 20 requests from that device, then evaluates once.
    /// </summary>
    public async Task FireErrorRateAlertAsync()
    {
        await PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        var device = await RegisterAsync("sensor-1");
        await Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { MaxErrorRate = 1, MinInstallSuccessRate = 0 } },
            Operator);
        await Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "error_rate", Threshold = 0.1, WindowSeconds = 600, MinSamples = 10 }, Operator);
        await Devices.ReportHealthAsync(
            new HealthReport { Versions = { new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 20, Errors = 5 } } }, Bearer(device));
        await EvaluateRolloutsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _temp.Dispose();
    }
}
