using System.CommandLine;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory for NAME.key (private, PKCS#8 PEM) and NAME.pub (public, SPKI PEM).", DefaultValueFactory = _ => "." };
        var name = new Option<string>("--name") { Description = "File name stem.", Required = true };
        var command = new Command("keygen", "Create an ECDSA P-256 signing key pair and print its key id.") { output, name };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var dir = result.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var stem = Path.Combine(dir, result.GetValue(name)!);
            if (File.Exists(stem + ".key"))
            {
                Console.Error.WriteLine($"error: {stem}.key exists; refusing to overwrite a private key.");
                return 2;
            }

            using var key = SigningKey.Generate();
            Secrets.CreateOwnerOnly(stem + ".key", key.ExportPrivateKeyPem()); // 0600 from the first byte

            File.WriteAllText(stem + ".pub", key.ExportPublicKeyPem());
            Console.WriteLine(key.KeyId);
            return 0;
        }));
        return command;
    }

    public static List<SigningKey> LoadAll(IEnumerable<string>? paths) => [.. (paths ?? []).Select(SigningKey.Load)];
}
