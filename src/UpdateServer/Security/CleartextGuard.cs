using System.Net;
using EdgeDeploy.UpdateServer.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EdgeDeploy.UpdateServer.Security;

/// <summary>
/// Cleartext only on loopback: before Kestrel binds, the addresses the server's listeners were configured with
/// (<see cref="ServerListeners.ConfiguredUrls"/>: gRPC and HTTP/1.1) and any <c>Kestrel:Endpoints:*:Url</c> are checked,
/// and once it listens, the addresses it really bound. A cleartext address that is not loopback stops the start unless <c>EdgeDeploy:AllowInsecure=true</c>;
/// every cleartext address is logged as a warning.
/// </summary>
internal sealed class CleartextGuard(IConfiguration configuration, IServer server, ServerListeners listeners, ServerTlsOptions tls, ILogger<CleartextGuard> logger) : IHostedLifecycleService
{
    private bool AllowInsecure => configuration.GetValue<bool>("EdgeDeploy:AllowInsecure");

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // Before binding, so a refused address never accepts a connection. The listeners own urls/http_ports and
        // EdgeDeploy:HttpUrls; Kestrel binds configured endpoints beside them.
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>();
        Refuse(listeners.ConfiguredUrls.Concat(endpoints).Where(IsCleartextOffLoopback).FirstOrDefault());
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Refuse(bound.Where(IsCleartextOffLoopback).FirstOrDefault());
        foreach (var address in bound.Where(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
        {
            TlsLog.CleartextListener(logger, address);
        }

        if (tls.ClientCaPath.Length > 0)
        {
            TlsLog.MutualTlsOn(logger, tls.ClientCaPath, tls.RequireClientCertificate ? "required" : "optional");
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether <paramref name="address"/> (as in <c>--urls</c>) is http:// on anything but a loopback host.</summary>
    internal static bool IsCleartextOffLoopback(string address)
    {
        if (!address.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var authority = address["http://".Length..].Split('/')[0];
        var host = authority.StartsWith('[') ? authority[1..authority.IndexOf(']', StringComparison.Ordinal)] : authority.Split(':')[0];
        return !(string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)));
    }

    private void Refuse(string? address)
    {
        if (address is null || AllowInsecure)
        {
            return;
        }

        TlsLog.CleartextRefused(logger, address);
        throw new InvalidOperationException(
            $"Refusing to serve cleartext on {address}: it is not a loopback address. Serve https:// (EdgeDeploy:Tls:CertificatePath and KeyPath), "
            + "bind 127.0.0.1, or set EdgeDeploy:AllowInsecure=true when a TLS-terminating proxy is in front.");
    }
}
