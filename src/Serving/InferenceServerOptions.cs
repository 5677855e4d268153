using EdgeDeploy.Runtime;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Serving;

/// <summary>Options for <see cref="InferenceServer"/>; defaults stated on each property.</summary>
public sealed class InferenceServerOptions
{
    /// <summary>
    /// Where the REST/JSON API listens: <c>host:port</c> (an IP address or <c>localhost</c>; port 0 picks a free one).
    /// Default <c>127.0.0.1:8000</c> (Triton's and KServe's HTTP port, loopback only).
    /// </summary>
    public string HttpAddress { get; init; } = "127.0.0.1:8000";

    /// <summary>Where the gRPC API listens (HTTP/2), like <see cref="HttpAddress"/>; null serves no gRPC. Default <c>127.0.0.1:8001</c>.</summary>
    public string? GrpcAddress { get; init; } = "127.0.0.1:8001";

    /// <summary>PEM certificate (chain) for TLS on both listeners; with <see cref="TlsKeyFile"/>. Default none (plain HTTP).</summary>
    public string? TlsCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificateFile"/>. Default none.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer</c> with this token (compared in constant time);
    /// others are refused with 401 / Unauthenticated. Required, with TLS, on any non-loopback address. Default none.
    /// </summary>
    public string? BearerToken { get; init; }

    /// <summary>Inference requests run at once; more wait in the queue. Default the number of processors.</summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount;

    /// <summary>Inference requests waiting for a slot; beyond it requests are refused with 429 / ResourceExhausted. Default 64.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Largest request body in bytes (JSON and binary tensor data together). Default 16 MiB.</summary>
    public long MaxRequestBytes { get; init; } = 16L << 20;

    /// <summary>Clock for request timings in the logs. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logs start, refusals and failed requests. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Checks every setting; <see cref="InferenceServer.StartAsync"/> calls it.</summary>
    /// <exception cref="EdgeException">
    /// <see cref="EdgeErrorCode.InvalidArgument"/> naming the first invalid setting, e.g. a non-loopback address without
    /// TLS and a bearer token.
    /// </exception>
    public void Validate()
    {
        var http = ListenAddress.Parse(HttpAddress, nameof(HttpAddress));
        var grpc = GrpcAddress is null ? null : ListenAddress.Parse(GrpcAddress, nameof(GrpcAddress));
        Require(MaxConcurrency >= 1, $"MaxConcurrency must be at least 1 (it is {MaxConcurrency}).");
        Require(MaxQueue >= 0, $"MaxQueue must be non-negative (it is {MaxQueue}).");
        Require(MaxRequestBytes >= 1024, $"MaxRequestBytes must be at least 1024 (it is {MaxRequestBytes}).");
        Require(TimeProvider is not null, "TimeProvider must not be null.");
        Require((TlsCertificateFile is null) == (TlsKeyFile is null), "TlsCertificateFile and TlsKeyFile go together: give both or neither.");
        Require(TlsCertificateFile is null || File.Exists(TlsCertificateFile), $"TLS certificate file '{TlsCertificateFile}' does not exist.");
        Require(TlsKeyFile is null || File.Exists(TlsKeyFile), $"TLS key file '{TlsKeyFile}' does not exist.");
        Require(BearerToken is null || (BearerToken.Length >= 16 && !BearerToken.Any(char.IsWhiteSpace)), "BearerToken must be at least 16 characters without white space.");
        foreach (var address in grpc is null ? [http] : new[] { http, grpc })
        {
            Require(
                address.IsLoopback || (TlsCertificateFile is not null && BearerToken is not null),
                $"Listening on {address.Text} (not loopback) needs TLS (a certificate and key) and a bearer token; bind to 127.0.0.1 or give both.");
        }

        Require(grpc is null || grpc.Port == 0 || http.Port != grpc.Port || !http.Host.Equals(grpc.Host), "HttpAddress and GrpcAddress must differ.");
    }

    internal static void Require(bool valid, string message)
    {
        if (!valid)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, message);
        }
    }
}
