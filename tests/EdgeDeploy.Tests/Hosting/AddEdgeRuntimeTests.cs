using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Hosting;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeDeploy.Tests.Hosting;

public sealed class AddEdgeRuntimeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AddEdgeRuntime_FromConfiguration_BindsOptionsAndResolvesAWorkingStore()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeRuntime:TrustDirectory"] = TrustCopy(),
            ["EdgeRuntime:StoreDirectory"] = _temp.File("store"),
            ["EdgeRuntime:ExecutionProvider"] = "Cpu",
            ["EdgeRuntime:KeepVersions"] = "2",
            ["EdgeRuntime:TelemetryDatabase"] = _temp.File("telemetry.db"),
            ["EdgeRuntime:Agent:Tags:0"] = "lab",
        }).Build();
        using var provider = new ServiceCollection().AddEdgeRuntime(configuration.GetSection("EdgeRuntime")).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value;
        var store = provider.GetRequiredService<ModelStore>();
        var installed = store.Install(Repo.Model("iris_classifier.edgepkg"));
        var served = store.Predict(new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create([5.1f, 3.5f, 1.4f, 0.2f], [1, 4]) });

        Assert.Equal((2, ExecutionProviderKind.Cpu, "lab"), (options.KeepVersions, options.ExecutionProvider, Assert.Single(options.Agent.Tags)));
        Assert.Equal(InstallOutcome.Activated, installed.Outcome);
        Assert.Equal(0L, served.Prediction["label"].AsSpan<long>()[0]);
        Assert.Same(store, provider.GetRequiredService<ModelStore>());
        Assert.True(File.Exists(_temp.File("telemetry.db")));
    }

    [Fact]
    public void AddEdgeRuntime_MissingTrustDirectory_FailsWithTheSettingName()
    {
        using var provider = new ServiceCollection().AddEdgeRuntime(o => o.StoreDirectory = _temp.File("store")).BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ModelStore>());

        Assert.Contains("EdgeRuntime:TrustDirectory is required.", ex.Message);
    }

    [Fact]
    public async Task AddEdgeRuntime_WithServerAddress_RunsTheAgentAsAHostedService()
    {
        await using var server = await UpdateServerHost.StartAsync();
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        File.WriteAllText(_temp.File("server.pub"), server.AssignmentPublicKeyPem);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEdgeRuntime(o =>
        {
            o.TrustDirectory = TrustCopy();
            o.StoreDirectory = _temp.File("store");
            o.ExecutionProvider = ExecutionProviderKind.Cpu;
            o.Agent.ServerAddress = server.Address.ToString();
            o.Agent.DeviceId = "hosted-1";
            o.Agent.EnrollmentToken = UpdateServerHost.EnrollmentToken;
            o.Agent.AssignmentPublicKeyPath = _temp.File("server.pub");
            o.Agent.StateDirectory = _temp.File("agent");
            o.Agent.PollInterval = TimeSpan.FromMilliseconds(200);
        });
        using var host = builder.Build();

        await host.StartAsync();
        var store = host.Services.GetRequiredService<ModelStore>();
        // The hosted agent's first cycle registers, downloads, verifies, gates and loads the model: seconds on a busy box.
        await Poll.UntilAsync(() => store.ActiveVersion is not null, () => "the hosted agent installed nothing:\n" + server.Log.Text, TimeSpan.FromSeconds(60));
        await host.StopAsync();
        Assert.Equal("1.0.0", store.ActiveVersion);
    }

    private string TrustCopy()
    {
        var trust = _temp.File("trust");
        SampleTrust.Create(trust);
        return trust;
    }
}
