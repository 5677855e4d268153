using System.CommandLine;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

internal static class SignCommand
{
    public static Command Create()
    {
        var package = new Argument<string>("package") { Description = "The .edgepkg to sign." };
        var keys = new Option<string[]>("--key") { Description = "Publisher private key(s).", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out") { Description = "Where to write the signed package (default: in place)." };
        var command = new Command("sign", "Add publisher signatures over a package's manifest.") { package, keys, output };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var path = r.GetValue(package)!;
            var bytes = File.ReadAllBytes(path);
            foreach (var key in KeygenCommand.LoadAll(r.GetValue(keys)))
            {
                bytes = PackageSigner.Sign(bytes, key);
                Console.WriteLine($"signed by {key.KeyId}");
            }

            File.WriteAllBytes(r.GetValue(output) ?? path, bytes);
            return 0;
        }));
        return command;
    }
}
