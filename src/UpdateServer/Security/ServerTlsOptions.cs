namespace EdgeDeploy.UpdateServer.Security;

/// <summary>
/// TLS and mutual TLS (configuration section "EdgeDeploy:Tls"); defaults stated on each property. The certificate is
/// used by every https:// endpoint (<c>--urls https://0.0.0.0:5001</c>); Kestrel's own
/// <c>Kestrel:Certificates:Default:Path</c>/<c>KeyPath</c> works too. Cleartext endpoints are allowed on loopback only
/// unless <c>EdgeDeploy:AllowInsecure=true</c>.
/// </summary>
public sealed class ServerTlsOptions
{
    /// <summary>PEM file with the server certificate (and any intermediates). Default empty (no certificate from here).</summary>
    public string CertificatePath { get; set; } = string.Empty;

    /// <summary>PEM file with the server certificate's private key (when not in <see cref="CertificatePath"/>). Default empty.</summary>
    public string KeyPath { get; set; } = string.Empty;

    /// <summary>
    /// PEM file with the CA (one or more certificates) that issues device client certificates; client certificates are
    /// checked against this CA only. Setting it asks clients for a certificate; a device that registers with one is
    /// bound to it. Default empty (no client certificates).
    /// </summary>
    public string ClientCaPath { get; set; } = string.Empty;

    /// <summary>
    /// Whether every TLS connection must present a client certificate issued by <see cref="ClientCaPath"/> (mutual TLS):
    /// a device's certificate is then its identity. Operators need one too. Default false.
    /// </summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>Checks the settings and that the files exist; called once, when the host is built.</summary>
    /// <exception cref="ArgumentException">A setting is inconsistent or a file is missing; the message names the setting.</exception>
    public void Validate()
    {
        if (KeyPath.Length > 0 && CertificatePath.Length == 0)
        {
            throw new ArgumentException("EdgeDeploy:Tls:KeyPath needs EdgeDeploy:Tls:CertificatePath.", nameof(KeyPath));
        }

        if (RequireClientCertificate && ClientCaPath.Length == 0)
        {
            throw new ArgumentException("EdgeDeploy:Tls:RequireClientCertificate needs EdgeDeploy:Tls:ClientCaPath (the CA that issues device certificates).", nameof(ClientCaPath));
        }

        Exists(CertificatePath, nameof(CertificatePath));
        Exists(KeyPath, nameof(KeyPath));
        Exists(ClientCaPath, nameof(ClientCaPath));
    }

    private static void Exists(string path, string name)
    {
        if (path.Length > 0 && !File.Exists(path))
        {
            throw new ArgumentException($"EdgeDeploy:Tls:{name} names '{Path.GetFullPath(path)}', which does not exist.", name);
        }
    }
}
