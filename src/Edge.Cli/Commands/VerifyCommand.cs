using System.CommandLine;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var package = new Argument<string>("package") { Description = "The .edgepkg to verify." };
        var trust = new Option<string>("--trust") { Description = "Device trust directory (root.json, state.json).", Required = true };
        var name = new Option<string?>("--expect-name") { Description = "Refuse any other model name." };
        var version = new Option<string?>("--expect-version") { Description = "Refuse any other version." };
        var command = new Command("verify", "Verify a package against a trust directory; exit 0 only when it is valid.") { package, trust, name, version };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            TrustStore trustStore;
            try
            {
                trustStore = TrustStore.Open(r.GetValue(trust)!);
            }
            catch (EdgeException ex)
            {
                // Nothing was checked: the trust folder itself is missing or unusable, which says nothing about the package.
                Console.Error.WriteLine($"error: {ex.Code}: {ex.Message}");
                return 2;
            }

            try
            {
                var verifier = new PackageVerifier(trustStore);
                var expected = r.GetValue(name) is { } n ? new ExpectedPackage(n, r.GetValue(version)) : null;
                var verified = verifier.Verify(r.GetValue(package)!, expected);
                Console.WriteLine($"valid: {verified.Manifest.Name} {verified.Manifest.Version} signed by publisher '{verified.Publisher}', manifest sha256 {verified.ManifestSha256}");
                return 0;
            }
            catch (EdgeException ex)
            {
                Console.Error.WriteLine($"invalid: {ex.Code}: {ex.Message}");
                return 1;
            }
        }));
        return command;
    }
}
