using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// A throwaway PKI made with the BCL (ECDSA P-256), written as PEM files: a CA, a server certificate for 127.0.0.1 and
/// localhost, client certificates issued by the CA, and a client certificate from a second, untrusted CA.
/// </summary>
internal sealed class TestPki
{
    private readonly string _directory;
    private readonly X509Certificate2 _ca;

    private TestPki(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        _ca = CreateCa("EdgeDeploy Test CA");
        CaPath = Write("ca.pem", _ca.ExportCertificatePem());
        (ServerCertificatePath, ServerKeyPath) = Issue(_ca, "server", "127.0.0.1", server: true);
        using var rogue = CreateCa("Someone Else's CA");
        RogueCaPath = Write("rogue-ca.pem", rogue.ExportCertificatePem());
        RogueClient = Issue(rogue, "rogue-device", "rogue-device", server: false);
    }

    /// <summary>The CA's certificate (PEM): the server's client CA and the clients' pinned CA.</summary>
    public string CaPath { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    /// <summary>Another CA's certificate, trusted by nobody here.</summary>
    public string RogueCaPath { get; }

    /// <summary>A client certificate and key issued by the rogue CA.</summary>
    public (string Certificate, string Key) RogueClient { get; }

    public static TestPki Create(string directory) => new(directory);

    /// <summary>A client certificate (and its key) issued by the CA to <paramref name="name"/>.</summary>
    public (string Certificate, string Key) Client(string name) => Issue(_ca, name, name, server: false);

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(2)); // outlives every leaf issued during a test run
    }

    private (string Certificate, string Key) Issue(X509Certificate2 ca, string fileName, string subject, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var now = DateTimeOffset.UtcNow;
        using var certificate = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return (Write(fileName + ".pem", certificate.ExportCertificatePem()), Write(fileName + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
