extern alias serving;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;
using serving::EdgeDeploy.Serving;

namespace EdgeDeploy.Tests.Serving;

/// <summary>
/// A real `edge serve` in-process on 127.0.0.1 (ports picked by the OS) over a real store: the signed iris package
/// 1.0.0 serving, 2.0.0 installed and routed with weight 0 (so it serves only when asked for by version), and a real
/// SQLite telemetry outbox.
/// </summary>
internal sealed class ServeHost : IAsyncDisposable
{
    private readonly TempDirectory _temp;

    private ServeHost(TempDirectory temp, ModelStore store, TelemetryRecorder recorder, InferenceServer server)
    {
        _temp = temp;
        Store = store;
        Recorder = recorder;
        Server = server;
        Http = new HttpClient { BaseAddress = server.HttpAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public ModelStore Store { get; }

    public TelemetryRecorder Recorder { get; }

    public InferenceServer Server { get; }

    public HttpClient Http { get; }

    public static readonly float[] Setosa = [5.1f, 3.5f, 1.4f, 0.2f];

    public static async Task<ServeHost> StartAsync(PackageFactory factory, string? token = null, int maxConcurrency = 4, int maxQueue = 8)
    {
        var temp = new TempDirectory();
        var recorder = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = temp.File("telemetry.db") });
        var store = ModelStore.Open(new ModelStoreOptions
        {
            Directory = temp.File("store"),
            Trust = factory.NewTrustStore(),
            Telemetry = recorder,
            VerifierOptions = PackageFactory.Options(),
            ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
        });
        store.Install(factory.SignedIris());
        store.Install(factory.SignedIrisV2(), expected: null, activate: false);
        store.SetRoutes([new VersionWeight("1.0.0", 1), new VersionWeight("2.0.0", 0)]);
        var server = await InferenceServer.StartAsync([store], new InferenceServerOptions
        {
            HttpAddress = "127.0.0.1:0",
            GrpcAddress = "127.0.0.1:0",
            BearerToken = token,
            MaxConcurrency = maxConcurrency,
            MaxQueue = maxQueue,
        });
        return new ServeHost(temp, store, recorder, server);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Store.Dispose();
        Recorder.Dispose();
        _temp.Dispose();
    }
}
