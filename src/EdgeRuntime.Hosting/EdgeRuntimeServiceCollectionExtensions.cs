using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// <paramref name="configuration"/> (e.g. the "EdgeRuntime" section). Settings are validated at host start and when
    /// first resolved; services already registered (e.g. a test's <see cref="TrustStore"/>) are kept.
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
        services.AddOptions<EdgeRuntimeOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeRuntimeOptions>, EdgeRuntimeOptionsValidator>());
        services.TryAddSingleton(sp => TrustStore.Open(Options(sp).TrustDirectory));
        services.TryAddSingleton(sp => Options(sp).TelemetryDatabase is { Length: > 0 } db
            ? new TelemetryHolder(TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = db, LoggerFactory = sp.GetService<ILoggerFactory>() }))
            : new TelemetryHolder(null));
        services.TryAddSingleton(sp =>
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UpdateAgentService>());
        return services;
    }

    private static EdgeRuntimeOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value;
}
