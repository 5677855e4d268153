using System.Net;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeDeploy.UpdateServer.Hosting;

/// <summary>
/// The server's two kinds of Kestrel endpoint: gRPC on HTTP/2 (the <c>urls</c> setting, as ASP.NET Core reads it) and
/// a separate HTTP/1.1 endpoint (<see cref="UpdateServerOptions.HttpUrls"/>) for /metrics, /healthz, /readyz and the
/// REST/JSON API (/api/v1/..., the operator services' gRPC JSON transcoding), which Prometheus, load balancers and curl
/// reach without HTTP/2. Each endpoint serves only its own routes: an HTTP route carries <see cref="HttpListenerRoute"/>
/// (or transcoding's <see cref="GrpcJsonTranscodingMetadata"/>) and is answered 404 on a gRPC endpoint, and the other
/// way round; so devices' gRPC port exposes no REST surface and the REST port no gRPC.
/// TLS is not configured here: an <c>https://</c> URL gets <see cref="ListenOptionsHttpsExtensions.UseHttps(ListenOptions)"/>
/// with Kestrel's HTTPS defaults, which the TLS set-up provides.
/// </summary>
internal sealed class ServerListeners
{
    /// <summary>Kestrel's own default when <c>urls</c> is not set.</summary>
    public const string DefaultGrpcUrls = "http://localhost:5000";

    private readonly List<(ListenOptions Options, bool Https)> _grpc = [];
    private readonly List<(ListenOptions Options, bool Https)> _http = [];

    /// <summary>Marks a route as served on the HTTP/1.1 endpoint only.</summary>
    public sealed class HttpListenerRoute
    {
        public static readonly HttpListenerRoute Instance = new();

        private HttpListenerRoute()
        {
        }
    }

    /// <summary>Every URL the listeners were configured with (gRPC and HTTP/1.1), before anything binds.</summary>
    public IReadOnlyList<string> ConfiguredUrls { get; private init; } = [];

    /// <summary>The gRPC endpoints' addresses once the server listens (ports chosen by the OS included).</summary>
    public IReadOnlyList<Uri> GrpcAddresses => Addresses(_grpc);

    /// <summary>The HTTP/1.1 endpoints' addresses once the server listens.</summary>
    public IReadOnlyList<Uri> HttpAddresses => Addresses(_http);

    /// <summary>
    /// Takes over Kestrel's addresses: gRPC from <c>urls</c> (<c>--urls</c>, ASPNETCORE_URLS; else ASPNETCORE_HTTP_PORTS; else
    /// Kestrel's default), HTTP/1.1 from <see cref="UpdateServerOptions.HttpUrls"/>. Registers and returns the listeners.
    /// </summary>
    public static ServerListeners AddTo(WebApplicationBuilder builder, UpdateServerOptions options)
    {
        var grpcUrls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls ? urls
            : builder.Configuration["http_ports"] is { Length: > 0 } ports ? string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => "http://*:" + p.Trim()))
            : null;
        var listeners = new ServerListeners { ConfiguredUrls = [.. Split(GrpcUrlsOrDefault(grpcUrls)), .. Split(options.HttpUrls)] };
        builder.WebHost.ConfigureKestrel(k => listeners.Configure(k, grpcUrls, options.HttpUrls));
        builder.Services.AddSingleton(listeners);
        builder.Services.AddSingleton<IStartupFilter>(new OwnAddresses());
        return listeners;
    }

    /// <summary>Adds both kinds of endpoint to Kestrel: gRPC from <paramref name="grpcUrls"/>, HTTP/1.1 from <paramref name="httpUrls"/> (none when empty).</summary>
    /// <exception cref="InvalidOperationException">A URL is not http(s)://host:port.</exception>
    public void Configure(KestrelServerOptions kestrel, string? grpcUrls, string? httpUrls)
    {
        foreach (var url in Split(GrpcUrlsOrDefault(grpcUrls)))
        {
            _grpc.AddRange(Listen(kestrel, url, HttpProtocols.Http2, "urls"));
        }

        foreach (var url in Split(httpUrls))
        {
            _http.AddRange(Listen(kestrel, url, HttpProtocols.Http1, "EdgeDeploy:HttpUrls"));
        }
    }

    /// <summary>Whether the request arrived on the HTTP/1.1 endpoint.</summary>
    public bool IsHttpListener(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        foreach (var (listen, _) in _http)
        {
            if (listen.IPEndPoint is { } endPoint && endPoint.Port == port)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="endpoint"/> is served on the HTTP/1.1 endpoint: a route marked <see cref="HttpListenerRoute"/> or a transcoded REST route.</summary>
    public static bool IsHttpRoute(Endpoint? endpoint) =>
        endpoint?.Metadata is { } metadata && (metadata.GetMetadata<HttpListenerRoute>() is not null || metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not null);

    /// <summary>Answers 404 to an HTTP route asked on a gRPC endpoint and to anything else asked on the HTTP endpoint.</summary>
    public Task FilterAsync(HttpContext context, RequestDelegate next)
    {
        if (IsHttpRoute(context.GetEndpoint()) != IsHttpListener(context))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }

    /// <summary>
    /// The host copies <c>urls</c> into the server's address list before the pipeline is built; the listeners own those
    /// addresses now, so the list is emptied here (Kestrel would otherwise warn that it overrides them).
    /// </summary>
    private sealed class OwnAddresses : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            if (app.ServerFeatures.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses is { IsReadOnly: false } addresses)
            {
                addresses.Clear();
            }

            next(app);
        };
    }

    private static string GrpcUrlsOrDefault(string? grpcUrls) => string.IsNullOrWhiteSpace(grpcUrls) ? DefaultGrpcUrls : grpcUrls;

    private static IEnumerable<string> Split(string? urls) =>
        (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<(ListenOptions, bool)> Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols, string setting)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"{setting}: '{url}' is not a URL such as http://127.0.0.1:5000 ({ex.Message}).", ex);
        }

        var https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
        if (!https && !address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || address.IsUnixPipe || address.Port < 0)
        {
            throw new InvalidOperationException($"{setting}: '{url}' must be http://host:port or https://host:port.");
        }

        var added = new List<(ListenOptions, bool)>();
        void Configure(ListenOptions o)
        {
            o.Protocols = protocols;
            if (https)
            {
                o.UseHttps();
            }

            added.Add((o, https));
        }

        if (address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            if (address.Port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0, Configure); // one OS-chosen port: IPv4 loopback
            }
            else
            {
                kestrel.ListenLocalhost(address.Port, Configure);
            }
        }
        else if (address.Host is "*" or "+" or "[::]" or "0.0.0.0" || !IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
        {
            kestrel.ListenAnyIP(address.Port, Configure);
        }
        else
        {
            kestrel.Listen(ip, address.Port, Configure);
        }

        return added;
    }

    private static List<Uri> Addresses(List<(ListenOptions Options, bool Https)> listeners)
    {
        var addresses = new List<Uri>();
        foreach (var (listen, https) in listeners)
        {
            if (listen.IPEndPoint is { } endPoint)
            {
                var scheme = https ? "https" : "http";
                var host = endPoint.Address.Equals(IPAddress.IPv6Any) || endPoint.Address.Equals(IPAddress.Any) ? "localhost" : endPoint.Address.ToString();
                addresses.Add(new UriBuilder(scheme, endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && host != "localhost" ? $"[{host}]" : host, endPoint.Port).Uri);
            }
        }

        return addresses;
    }
}
