using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeDeploy.UpdateServer.Security;

/// <summary>
/// Transport security, wired by one call from <see cref="UpdateServerApp.Build"/>: the server certificate and client CA
/// from <see cref="ServerTlsOptions"/> on every https:// endpoint, client certificates checked against that CA alone,
/// the device-certificate binding (<see cref="DeviceCertificates"/>), and the cleartext guard (<see cref="CleartextGuard"/>).
/// </summary>
internal static class ServerTls
{
    /// <summary>OID of the TLS client authentication extended key usage.</summary>
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <exception cref="ArgumentException">The TLS settings are inconsistent or a file is missing or unreadable.</exception>
    public static void Configure(WebApplicationBuilder builder)
    {
        var tls = builder.Configuration.GetSection("EdgeDeploy:Tls").Get<ServerTlsOptions>() ?? new ServerTlsOptions();
        tls.Validate();
        var serverCertificate = tls.CertificatePath.Length > 0 ? LoadServerCertificate(tls) : null;
        var clientCa = tls.ClientCaPath.Length > 0 ? LoadClientCa(tls.ClientCaPath) : null;

        builder.Services.TryAddSingleton(tls);
        builder.Services.TryAddSingleton<DeviceCertificates>();
        builder.Services.AddHostedService<CleartextGuard>();


        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            if (serverCertificate is not null)
            {
                https.ServerCertificate = serverCertificate;
            }

            if (clientCa is not null)
            {
                https.ClientCertificateMode = tls.RequireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate;
                https.CheckCertificateRevocation = false; // a private device CA publishes no revocation lists; remove a device to revoke it
                https.ClientCertificateValidation = (certificate, _, _) => IsIssuedBy(clientCa, certificate);
            }
        }));
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/> (and no other root) and may authenticate a client.</summary>
    internal static bool IsIssuedBy(X509Certificate2Collection roots, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthentication));
        return chain.Build(certificate);
    }

    private static X509Certificate2 LoadServerCertificate(ServerTlsOptions tls)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(tls.CertificatePath, tls.KeyPath.Length > 0 ? tls.KeyPath : null);
            if (!pem.HasPrivateKey)
            {
                throw new ArgumentException($"EdgeDeploy:Tls:CertificatePath '{tls.CertificatePath}' has no private key; set EdgeDeploy:Tls:KeyPath.", nameof(tls.KeyPath));
            }

            // A PEM key is ephemeral; a PKCS#12 round trip gives SslStream a key it can use on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"EdgeDeploy:Tls:CertificatePath/KeyPath: cannot read '{tls.CertificatePath}' as a PEM certificate with its key: {ex.Message}", nameof(tls.CertificatePath), ex);
        }
    }

    private static X509Certificate2Collection LoadClientCa(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"EdgeDeploy:Tls:ClientCaPath: cannot read '{path}' as PEM certificates: {ex.Message}", nameof(ServerTlsOptions.ClientCaPath), ex);
        }

        return roots.Count > 0
            ? roots
            : throw new ArgumentException($"EdgeDeploy:Tls:ClientCaPath '{path}' holds no PEM certificate.", nameof(ServerTlsOptions.ClientCaPath));
    }
}
