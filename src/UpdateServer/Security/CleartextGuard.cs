using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EdgeDeploy.UpdateServer.Security;

/// <summary>
/// Cleartext only on loopback: before Kestrel binds, the configured addresses (<c>urls</c>, <c>http_ports</c>,
/// <c>Kestrel:Endpoints:*:Url</c>) are checked, and once it listens, the addresses it really bound (listeners added in
/// code included). A cleartext address that is not loopback stops the start unless <c>EdgeDeploy:AllowInsecure=true</c>;
/// every cleartext address is logged as a warning.
/// </summary>
internal sealed class CleartextGuard(IConfiguration configuration, IServer server, ServerTlsOptions tls, ILogger<CleartextGuard> logger) : IHostedLifecycleService
{
    private bool AllowInsecure => configuration.GetValue<bool>("EdgeDeploy:AllowInsecure");

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // Before binding, so a refused address never accepts a connection.
        // Kestrel's precedence: configured endpoints, else urls, else http_ports (ASPNETCORE_HTTP_PORTS binds every interface).
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().ToList();
        var urls = Split(configuration["urls"]);
        var configured = endpoints.Count > 0 ? endpoints : urls.Count > 0 ? urls : [.. Split(configuration["http_ports"]).Select(port => "http://*:" + port)];
        Refuse(configured.Where(IsCleartextOffLoopback).FirstOrDefault());
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

    private static List<string> Split(string? list) => [.. (list ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

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
