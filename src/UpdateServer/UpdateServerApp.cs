using EdgeDeploy.UpdateServer.Services;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeDeploy.UpdateServer;

/// <summary>Builds the update server; Program and the integration tests share it so tests run the real host.</summary>
public static class UpdateServerApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        // gRPC over cleartext HTTP/2 (h2c) by default; put TLS in front or configure Kestrel certificates in production.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false); // answer from live checks, not the 5 s publisher cache
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy("accepting calls"));
        builder.Services.AddSingleton(TimeProvider.System);

        var app = builder.Build();
        app.MapGrpcService<DeviceServiceImpl>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}
