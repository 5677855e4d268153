using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>
/// The one way the update agent and the <c>edge</c> CLI open a gRPC channel to the update server. <c>http://</c> is
/// cleartext HTTP/2, for loopback development (the server refuses cleartext elsewhere unless told otherwise);
/// <c>https://</c> checks the server's certificate against the system trust store, or, with a pinned CA file, against
/// only that CA (custom root trust: a certificate the system trusts but the pinned CA did not issue is refused). A PEM
/// client certificate and key are presented for mutual TLS. No reflection: safe under native AOT.
/// </summary>
internal static class ServerChannel
{
    /// <summary>Opens a channel to <paramref name="address"/>.</summary>
    /// <param name="address">http:// or https:// server address.</param>
    /// <param name="caFile">PEM file with the CA (one or more certificates) to pin, or null for the system trust store.</param>
    /// <param name="clientCertificateFile">PEM client certificate (chain) for mutual TLS, or null.</param>
    /// <param name="clientKeyFile">PEM private key of <paramref name="clientCertificateFile"/>, or null when the key is in that file.</param>
    /// <param name="callCredentials">Credentials added to every call (e.g. an operator bearer token), or null.</param>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> for an unusable combination or file.</exception>
    public static GrpcChannel Create(Uri address, string? caFile, string? clientCertificateFile, string? clientKeyFile, CallCredentials? callCredentials = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        var secure = string.Equals(address.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);
        if (!secure && !string.Equals(address.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Server address '{address}' must start with http:// or https://.");
        }

        if (!secure && (caFile is not null || clientCertificateFile is not null || clientKeyFile is not null))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"A CA file or client certificate needs an https:// server address; '{address}' is cleartext.");
        }

        if (clientKeyFile is not null && clientCertificateFile is null)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "A client key was given without its client certificate.");
        }

        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (secure)
        {
            var pinned = caFile is null ? null : LoadCa(caFile);
            var client = clientCertificateFile is null ? null : LoadClientCertificate(clientCertificateFile, clientKeyFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = client is null ? null : new X509CertificateCollection { client },
                RemoteCertificateValidationCallback = pinned is null ? null : (_, certificate, chain, errors) => IsIssuedByPinnedCa(pinned, certificate, chain, errors),
            };
        }

        var credentials = (secure, callCredentials) switch
        {
            (true, null) => ChannelCredentials.SecureSsl,
            (true, { } call) => ChannelCredentials.Create(ChannelCredentials.SecureSsl, call),
            (false, null) => ChannelCredentials.Insecure,
            (false, { } call) => ChannelCredentials.Create(ChannelCredentials.Insecure, call),
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            Credentials = credentials,

            // Bearer tokens over cleartext only reach loopback servers (the server refuses cleartext elsewhere) or a
            // TLS-terminating proxy the operator chose.
            UnsafeUseInsecureChannelCallCredentials = !secure && callCredentials is not null,
        });
    }

    /// <summary>Whether the server's certificate chains to the pinned CA alone and names the host (the system store is not consulted).</summary>
    internal static bool IsIssuedByPinnedCa(X509Certificate2Collection pinned, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(pinned);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // server authentication, as system validation requires
        if (presented is not null)
        {
            // Intermediates the server sent; trust still has to end at a pinned CA.
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (certificate is X509Certificate2 leaf)
        {
            return chain.Build(leaf);
        }

        using var copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(copy);
    }

    private static X509Certificate2Collection LoadCa(string caFile)
    {
        var pinned = new X509Certificate2Collection();
        try
        {
            pinned.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Cannot read the CA file '{caFile}': {ex.Message}", ex);
        }

        return pinned.Count > 0
            ? pinned
            : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The CA file '{caFile}' holds no PEM certificate.");
    }

    private static X509Certificate2 LoadClientCertificate(string certificateFile, string? keyFile)
    {
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The client certificate '{certificateFile}' has no private key; give its key file.");
            }

            return certificate;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Cannot read the client certificate '{certificateFile}'{(keyFile is null ? string.Empty : $" with key '{keyFile}'")}: {ex.Message}", ex);
        }
    }
}
