using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeDeploy.Runtime.Hosting;

/// <summary>Registers EdgeDeploy's device runtime with dependency injection.</summary>
public static class EdgeRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ModelStore"/> (singleton), <see cref="TelemetryRecorder"/> when a telemetry database is set,
    /// and the <see cref="UpdateAgent"/> as a hosted service when a server address is set, bound from
    /// <paramref name="configuration"/> (e.g. the "EdgeRuntime" section). Settings are validated when first resolved.
    /// </summary>
    public static IServiceCollection AddEdgeRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddEdgeRuntime(options => configuration.Bind(options));
    }

    /// <summary>Registers the device runtime configured in code; see the <see cref="IConfiguration"/> overload.</summary>
    public static IServiceCollection AddEdgeRuntime(this IServiceCollection services, Action<EdgeRuntimeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<EdgeRuntimeOptions>().Configure(configure).Validate(o => o.TrustDirectory.Length > 0, "EdgeRuntime:TrustDirectory is required.")
            .Validate(o => o.Agent.ServerAddress.Length == 0 || (o.Agent.DeviceId.Length > 0 && o.Agent.EnrollmentToken.Length > 0 && o.Agent.AssignmentPublicKeyPath.Length > 0),
                "EdgeRuntime:Agent needs DeviceId, EnrollmentToken and AssignmentPublicKeyPath when ServerAddress is set.");
        services.AddSingleton(sp => TrustStore.Open(Options(sp).TrustDirectory));
        services.AddSingleton(sp => Options(sp).TelemetryDatabase is { Length: > 0 } db
            ? new TelemetryHolder(TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db, LoggerFactory = sp.GetService<ILoggerFactory>() }))
            : new TelemetryHolder(null));
        services.AddSingleton(sp =>
        {
            var o = Options(sp);
            return ModelStore.Open(new ModelStoreOptions
            {
                Directory = o.StoreDirectory,
                Trust = sp.GetRequiredService<TrustStore>(),
                KeepVersions = o.KeepVersions,
                MemoryBudgetBytes = o.MemoryBudgetBytes,
                ModelOptions = new EdgeModelOptions { ExecutionProvider = o.ExecutionProvider },
                Telemetry = sp.GetRequiredService<TelemetryHolder>().Recorder,
                TimeProvider = sp.GetService<TimeProvider>() ?? TimeProvider.System,
                LoggerFactory = sp.GetService<ILoggerFactory>(),
            });
        });
        services.AddSingleton<IHostedService, UpdateAgentService>();
        return services;
    }

    private static EdgeRuntimeOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value;
}

/// <summary>The optional recorder, so the container can hold "none" (it refuses null singletons).</summary>
internal sealed class TelemetryHolder(TelemetryRecorder? recorder) : IDisposable
{
    public TelemetryRecorder? Recorder { get; } = recorder;

    public void Dispose() => Recorder?.Dispose();
}

/// <summary>Runs the update agent for the app's lifetime when a server address is configured.</summary>
internal sealed class UpdateAgentService(IOptions<EdgeRuntimeOptions> options, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var a = options.Value.Agent;
        if (a.ServerAddress.Length == 0)
        {
            return;
        }

        using var agent = UpdateAgent.Create(new UpdateAgentOptions
        {
            ServerAddress = new Uri(a.ServerAddress),
            DeviceId = a.DeviceId,
            EnrollmentToken = a.EnrollmentToken,
            StateDirectory = a.StateDirectory,
            AssignmentPublicKeyPem = await File.ReadAllTextAsync(a.AssignmentPublicKeyPath, stoppingToken).ConfigureAwait(false),
            Store = services.GetRequiredService<ModelStore>(),
            PollInterval = a.PollInterval,
            OfflineGrace = a.OfflineGrace,
            Attributes = a.Attributes,
            Tags = a.Tags,
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            LoggerFactory = services.GetService<ILoggerFactory>(),
        });
        await agent.RunAsync(stoppingToken).ConfigureAwait(false);
    }
}
