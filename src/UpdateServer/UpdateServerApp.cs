using EdgeDeploy.UpdateServer.Services;
using EdgeDeploy.UpdateServer.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeDeploy.UpdateServer;

/// <summary>Builds the update server; Program and the integration tests share it so tests run the real host.</summary>
public static class UpdateServerApp
{
    /// <param name="args">Command-line arguments (configuration included).</param>
    /// <param name="configureServices">Replaces services after the defaults, e.g. a test clock.</param>
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        // gRPC over cleartext HTTP/2 (h2c) by default; put TLS in front or configure Kestrel certificates in production.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false); // answer from live checks, not the 5 s publisher cache
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy("accepting calls"));
        builder.Services.AddSingleton(TimeProvider.System);
        var options = builder.Configuration.GetSection("EdgeDeploy").Get<UpdateServerOptions>() ?? new UpdateServerOptions();
        if (string.IsNullOrEmpty(options.TrustDirectory) || string.IsNullOrEmpty(options.OperatorToken) || string.IsNullOrEmpty(options.EnrollmentToken))
        {
            throw new InvalidOperationException("Configure EdgeDeploy:TrustDirectory, EdgeDeploy:OperatorToken and EdgeDeploy:EnrollmentToken.");
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddEdgeDeployStorage(options); // IUpdateStore, ITelemetryStore, IBlobStore: SQLite or PostgreSQL (EdgeDeploy:Database)
        builder.Services.AddSingleton<Auth>();
        builder.Services.AddSingleton<AssignmentSigner>();
        builder.Services.AddSingleton<FleetDirectory>();
        builder.Services.AddSingleton<PackageFacts>();
        builder.Services.AddSingleton<RolloutPlanner>();
        builder.Services.AddSingleton<RolloutController>();
        builder.Services.AddSingleton<AlertEvaluator>();
        builder.Services.AddSingleton<SignedAssignmentCache>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddHostedService<FleetBackgroundService>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();

        // Create (or load) the assignment key now, so assignment.pub exists for provisioning devices before any check-in.
        app.Services.GetRequiredService<AssignmentSigner>();
        app.MapGrpcService<DeviceServiceImpl>();
        app.MapGrpcService<RegistryServiceImpl>();
        app.MapGrpcService<TelemetryServiceImpl>();
        app.MapGrpcHealthChecksService();
        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Text(metrics.ToPrometheusText(), "text/plain; version=0.0.4"));
        app.MapGrpcReflectionService();
        return app;
    }
}
