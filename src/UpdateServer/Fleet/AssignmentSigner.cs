using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using Google.Protobuf;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Signs check-in assignments with the server's ECDSA P-256 key (created on first start in the data directory).
/// Devices hold the public key and refuse unsigned, altered or expired assignments.
/// </summary>
internal sealed class AssignmentSigner : IDisposable
{
    private readonly SigningKey _key;

    public AssignmentSigner(UpdateServerOptions options)
    {
        var path = Path.Combine(options.DataDirectory, "assignment.key");
        if (!File.Exists(path))
        {
            // Owner-only from the first byte: no window in which another user could open the private key.
            OwnerOnly.CreateDirectory(options.DataDirectory);
            using var created = SigningKey.Generate();
            OwnerOnly.WriteNewFile(path, created.ExportPrivateKeyPem());
        }

        _key = SigningKey.Load(path);
        File.WriteAllText(Path.Combine(options.DataDirectory, "assignment.pub"), _key.ExportPublicKeyPem());
    }

    public string PublicKeyPem => _key.ExportPublicKeyPem();

    /// <summary>
    /// A 256-bit key for <paramref name="purpose"/>, derived (HKDF-SHA256) from the private assignment key: replicas share
    /// assignment.key, so they derive the same key without another file to copy; the database alone does not hold it.
    /// </summary>
    public byte[] DeriveKey(string purpose)
    {
        var material = System.Text.Encoding.UTF8.GetBytes(_key.ExportPrivateKeyPem());
        try
        {
            return System.Security.Cryptography.HKDF.DeriveKey(
                System.Security.Cryptography.HashAlgorithmName.SHA256, material, 32, info: System.Text.Encoding.UTF8.GetBytes("edgedeploy/" + purpose));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(material);
        }
    }

    public CheckInResponse Sign(Assignment assignment)
    {
        var bytes = assignment.ToByteArray();
        return new CheckInResponse
        {
            Assignment = ByteString.CopyFrom(bytes),
            Signature = ByteString.CopyFrom(_key.Sign(bytes)),
            KeyId = _key.KeyId,
        };
    }

    public void Dispose() => _key.Dispose();
}
