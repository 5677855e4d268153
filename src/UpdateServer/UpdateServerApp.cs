using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.UpdateServer.Api;
using EdgeDeploy.UpdateServer.Hosting;
using EdgeDeploy.UpdateServer.Operators;
using EdgeDeploy.UpdateServer.Security;
using EdgeDeploy.UpdateServer.WebConsole;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeDeploy.UpdateServer;

/// <summary>Builds the update server; Program and the integration tests share it so tests run the real host.</summary>
public static class UpdateServerApp
{
    /// <param name="args">Command-line arguments (configuration included).</param>
    /// <param name="configureServices">Replaces services after the defaults, e.g. a test clock.</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Request logging defaults to warnings: ASP.NET Core and gRPC log every request at information level, which buries
        // the server's own events. First in line, so appsettings, environment and command line still override it.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Grpc"] = "Warning",
            },
        });

        // Under systemd (Type=notify, deploy/systemd): READY=1 once listening, STOPPING=1 on stop, journal-friendly logs.
        // Elsewhere it does nothing.
        builder.Host.UseSystemd();

        // Relative paths mean the working directory at start, wherever the host looks them up later.
        var workingDirectory = Environment.CurrentDirectory;
        var startOptions = (builder.Configuration.GetSection("EdgeDeploy").Get<UpdateServerOptions>() ?? new UpdateServerOptions()).ResolvePaths(workingDirectory);

        // TLS from EdgeDeploy:Tls (server certificate, client CA, mTLS device identity); cleartext on loopback only.
        ServerTls.Configure(builder);

        // Listeners: gRPC on HTTP/2 (urls), /metrics /healthz /readyz on a separate HTTP/1.1 port (EdgeDeploy:HttpUrls);
        // an https:// URL takes the HTTPS defaults ServerTls set.
        var listeners = ServerListeners.AddTo(builder, startOptions);

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<RejectionInterceptor>();
            o.Interceptors.Add<OperatorInterceptor>(); // inside RejectionInterceptor: it audits a refusal before it becomes a status
        }).AddJsonTranscoding(o => o.JsonSettings.WriteInt64sAsStrings = true); // REST/JSON (google.api.http rules): same interceptors, HTTP/1.1 listener only; int64 as strings, as protobuf's JSON and `edge --json` write them
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false); // answer from live checks (readiness), not the 5 s publisher cache
        builder.Services.AddGrpcReflection();
        builder.AddServerObservability(startOptions);
        builder.Services.AddOptions<UpdateServerOptions>().Bind(builder.Configuration.GetSection("EdgeDeploy"))
            .PostConfigure(o => o.ResolvePaths(workingDirectory))
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpdateServerOptions>, UpdateServerOptionsValidator>());
        // Storage is chosen from configuration now (EdgeDeploy:Database): PostgreSQL is migrated before the host starts.
        builder.Services.AddEdgeDeployStorage(startOptions);
        AddUpdateServer(builder.Services);
        builder.Services.AddEdgeConsole(startOptions); // the web console (Console/), on the HTTP/1.1 listener
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();

        // Settings checked, trust directory read and the assignment key created (or loaded) now, before any call:
        // assignment.pub must exist for provisioning devices before their first check-in.
        app.Services.GetRequiredService<UpdateServerOptions>();
        app.Services.GetRequiredService<PackageVerifier>();
        app.Services.GetRequiredService<AssignmentSigner>();
        app.UseRouting();
        app.Use(listeners.FilterAsync); // each listener serves only its own routes
        app.MapGrpcService<DeviceServiceImpl>();
        app.MapGrpcService<RegistryServiceImpl>();
        app.MapGrpcService<AdminServiceImpl>();
        app.MapGrpcService<TelemetryServiceImpl>();
        app.MapGrpcHealthChecksService();
        app.MapServerHttpEndpoints();
        app.MapEdgeConsole();
        app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>The server's services; each TryAdd, so a host (or a test) that registered its own first keeps it.</summary>
    private static void AddUpdateServer(IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<UpdateServerOptions>>().Value);

        // Packages: one verifier, built once from the trust directory; the server checks what devices will check.
        services.TryAddSingleton(sp => new PackageVerifier(
            TrustStore.Open(Options(sp).TrustDirectory),
            new PackageVerifierOptions { TimeProvider = sp.GetRequiredService<TimeProvider>(), MaxPackageBytes = Options(sp).MaxPackageBytes }));
        services.TryAddSingleton<PackageFacts>();
        services.TryAddSingleton<PackageRegistry>();

        // Fleet
        services.TryAddSingleton<Auth>();
        services.TryAddSingleton<AssignmentSigner>();
        services.TryAddSingleton<FleetDirectory>();
        services.TryAddSingleton<SignedAssignmentCache>();
        services.TryAddSingleton<DeviceAssignments>();
        services.TryAddSingleton<HealthReportWindows>();
        services.TryAddSingleton<TelemetryQuota>();
        services.TryAddSingleton<ServerMetrics>();

        // Operators, enrolment and device credentials (roles in Api/Auth.cs, checked by OperatorInterceptor)
        services.TryAddSingleton<AuditLog>();
        services.TryAddSingleton<OperatorCalls>();
        services.TryAddSingleton<OperatorAdministration>();
        services.TryAddSingleton<EnrollmentTokens>();
        services.TryAddSingleton<DeviceRotations>();
        services.TryAddSingleton<DeviceAdministration>();

        // Rollouts: every IRolloutStrategy class of this assembly, so adding a strategy is adding its class (and its proto value).
        foreach (var type in typeof(IRolloutStrategy).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && t.IsAssignableTo(typeof(IRolloutStrategy))))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IRolloutStrategy), type));
        }

        services.TryAddSingleton<RolloutStrategies>();
        services.TryAddSingleton<RolloutPlanner>();
        services.TryAddSingleton<RolloutController>();
        services.TryAddSingleton<RolloutService>();

        // Monitoring
        services.TryAddSingleton<FigureReader>();
        services.TryAddSingleton<AlertEvaluator>();
        services.TryAddSingleton<AlertRuleService>();
        services.TryAddSingleton<MonitoringQueries>();
        services.TryAddSingleton<PredictionExport>();

        // Alert webhooks: the outbox is filled by AlertEvaluator; the leader's dispatcher sends it.
        services.TryAddSingleton<WebhookSecrets>();
        services.TryAddSingleton<WebhookSignal>();
        services.TryAddSingleton<WebhookService>();
        services.TryAddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());

        // Every replica flushes and follows other replicas' changes; the leader (ILeaderElection) evaluates and prunes.
        services.TryAddSingleton<StoreChangeWatcher>();
        services.TryAddSingleton<FleetBackgroundService>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreChangeWatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetBackgroundService>());
    }

    private static UpdateServerOptions Options(IServiceProvider services) => services.GetRequiredService<UpdateServerOptions>();
}
