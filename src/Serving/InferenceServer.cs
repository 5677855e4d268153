using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Serving.Grpc;
using EdgeDeploy.Serving.Hosting;
using EdgeDeploy.Serving.Protocol;
using EdgeDeploy.Serving.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeDeploy.Serving;

/// <summary>
/// A local inference server over device model stores (<c>edge serve</c>): the Open Inference Protocol (KServe V2, as
/// Triton, KServe and MLServer speak it) over REST/JSON and gRPC, including Triton's ModelStreamInfer, plus a ground-truth
/// extension so labels reach the store's telemetry. Inference runs with bounded concurrency and a bounded queue;
/// the rest is refused (429 / ResourceExhausted). Loopback by default; any other address needs TLS and a bearer token.
/// </summary>
public sealed class InferenceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2? _certificate;
    private int _disposed;

    private InferenceServer(WebApplication app, InferenceLimiter limiter, X509Certificate2? certificate, Uri httpAddress, Uri? grpcAddress)
    {
        _app = app;
        Limiter = limiter;
        _certificate = certificate;
        HttpAddress = httpAddress;
        GrpcAddress = grpcAddress;
    }

    /// <summary>The bound REST address (the real port when 0 was asked for).</summary>
    public Uri HttpAddress { get; }

    /// <summary>The bound gRPC address, or null when gRPC is off.</summary>
    public Uri? GrpcAddress { get; }

    internal InferenceLimiter Limiter { get; }

    /// <summary>Validates <paramref name="options"/>, binds the listeners and starts serving <paramref name="stores"/> (one model each).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> for invalid options (nothing is bound).</exception>
    public static async Task<InferenceServer> StartAsync(IReadOnlyList<ModelStore> stores, InferenceServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        InferenceServerOptions.Require(stores.Count > 0, "At least one store is required.");
        var http = ListenAddress.Parse(options.HttpAddress, nameof(options.HttpAddress));
        var grpc = options.GrpcAddress is null ? null : ListenAddress.Parse(options.GrpcAddress, nameof(options.GrpcAddress));
        var certificate = options.TlsCertificateFile is null ? null : LoadCertificate(options.TlsCertificateFile, options.TlsKeyFile!);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "edge-serve", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, LibraryLifetime>();
        var catalog = new ModelCatalog(stores);
        var limiter = new InferenceLimiter(options.MaxConcurrency, options.MaxQueue);
        builder.Services.AddSingleton(catalog);
        builder.Services.AddSingleton(limiter);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(options.MaxRequestBytes, int.MaxValue);
            o.EnableDetailedErrors = false;
        });

        ListenOptions? httpListen = null, grpcListen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            k.Listen(http.Host, http.Port, lo =>
            {
                lo.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                Secure(lo, certificate);
                httpListen = lo;
            });
            if (grpc is not null)
            {
                k.Listen(grpc.Host, grpc.Port, lo =>
                {
                    lo.Protocols = HttpProtocols.Http2;
                    Secure(lo, certificate);
                    grpcListen = lo;
                });
            }
        });

        var app = builder.Build();
        var logger = loggerFactory.CreateLogger<InferenceServer>();
        if (options.BearerToken is { } token)
        {
            var auth = new BearerAuthentication(token, logger);
            app.Use(auth.InvokeAsync);
        }

        new RestApi(catalog, limiter, options.TimeProvider, logger).Map(app);
        app.MapGrpcService<InferenceGrpcService>();
        app.MapGrpcService<GroundTruthGrpcService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            limiter.Dispose();
            certificate?.Dispose();
            throw;
        }

        var scheme = certificate is null ? "http" : "https";
        var httpUri = Address(scheme, httpListen!.IPEndPoint!);
        var grpcUri = grpcListen is null ? null : Address(scheme, grpcListen.IPEndPoint!);
        ServeLog.Started(logger, string.Join(", ", stores.Select(s => $"{s.ModelName}@{s.ActiveVersion}")), httpUri, grpcUri?.ToString() ?? "(off)");
        return new InferenceServer(app, limiter, certificate, httpUri, grpcUri);
    }

    /// <summary>Stops accepting requests and lets running ones finish (within <paramref name="cancellationToken"/>).</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        Limiter.Dispose();
        _certificate?.Dispose();
    }

    private static void Secure(ListenOptions listen, X509Certificate2? certificate)
    {
        if (certificate is not null)
        {
            listen.UseHttps(certificate);
        }
    }

    private static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"TLS certificate '{certificateFile}' with key '{keyFile}' could not be loaded: {ex.Message}");
        }
    }

    private static Uri Address(string scheme, IPEndPoint endpoint)
    {
        var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? "localhost" : endpoint.Address.ToString();
        return new Uri($"{scheme}://{(endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && host != "localhost" ? $"[{host}]" : host)}:{endpoint.Port}");
    }
}
