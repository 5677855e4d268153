using System.CommandLine;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

/// <summary><c>edge root ...</c>: author and install trust roots.</summary>
internal static class RootCommands
{
    public static Command Create() => new("root", "Create, extend, rotate and install trust roots (TUF-style root metadata).")
    {
        Init(), AddPublisher(), Rotate(), Revoke(), Trust(), Update(),
    };

    private static Option<string[]> SignKeys() => new("--sign-key")
    {
        Description = "Private key(s) that sign the new root (enough old and new root keys for a rotation).",
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<int> ExpiresDays() => new("--expires-days") { Description = "Validity in days.", DefaultValueFactory = _ => 365 };

    private static Option<string> Out() => new("--out") { Description = "Where to write the root JSON.", Required = true };

    private static Option<string> Current() => new("--root") { Description = "The current root JSON.", Required = true };

    private static Command Init()
    {
        var keys = new Option<string[]>("--root-key") { Description = "Root private key(s); all of them sign version 1.", Required = true, AllowMultipleArgumentsPerToken = true };
        var threshold = new Option<int>("--threshold") { Description = "Root signatures needed for the next root.", DefaultValueFactory = _ => 1 };
        var expires = ExpiresDays();
        var output = Out();
        var command = new Command("init", "Create root version 1.") { keys, threshold, expires, output };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var rootKeys = KeygenCommand.LoadAll(r.GetValue(keys));
            var bytes = RootBuilder.CreateInitial(DateTimeOffset.UtcNow.AddDays(r.GetValue(expires)))
                .WithRootKeys(rootKeys, r.GetValue(threshold))
                .Build(rootKeys);
            return Write(r.GetValue(output)!, bytes);
        }));
        return command;
    }

    private static Command AddPublisher()
    {
        var current = Current();
        var name = new Option<string>("--name") { Description = "Publisher name.", Required = true };
        var keys = new Option<string[]>("--key") { Description = "Publisher key file(s) (.pub or .key).", Required = true, AllowMultipleArgumentsPerToken = true };
        var threshold = new Option<int>("--threshold") { Description = "Signatures a package needs from this publisher.", DefaultValueFactory = _ => 1 };
        var models = new Option<string[]>("--models") { Description = "Model-name patterns this publisher may sign ('*' wildcard); default all.", AllowMultipleArgumentsPerToken = true };
        var sign = SignKeys();
        var expires = ExpiresDays();
        var output = Out();
        var command = new Command("add-publisher", "Next root version with a publisher delegated to sign packages.") { current, name, keys, threshold, models, sign, expires, output };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var bytes = RootBuilder.CreateNext(File.ReadAllBytes(r.GetValue(current)!), DateTimeOffset.UtcNow.AddDays(r.GetValue(expires)))
                .WithPublisher(r.GetValue(name)!, KeygenCommand.LoadAll(r.GetValue(keys)), r.GetValue(threshold), r.GetValue(models))
                .Build(KeygenCommand.LoadAll(r.GetValue(sign)));
            return Write(r.GetValue(output)!, bytes);
        }));
        return command;
    }

    private static Command Rotate()
    {
        var current = Current();
        var keys = new Option<string[]>("--new-root-key") { Description = "The new root key set.", Required = true, AllowMultipleArgumentsPerToken = true };
        var threshold = new Option<int>("--threshold") { Description = "New root threshold.", DefaultValueFactory = _ => 1 };
        var sign = SignKeys();
        var expires = ExpiresDays();
        var output = Out();
        var command = new Command("rotate", "Next root version with new root keys; sign with a threshold of the old and of the new keys.") { current, keys, threshold, sign, expires, output };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var bytes = RootBuilder.CreateNext(File.ReadAllBytes(r.GetValue(current)!), DateTimeOffset.UtcNow.AddDays(r.GetValue(expires)))
                .WithRootKeys(KeygenCommand.LoadAll(r.GetValue(keys)), r.GetValue(threshold))
                .Build(KeygenCommand.LoadAll(r.GetValue(sign)));
            return Write(r.GetValue(output)!, bytes);
        }));
        return command;
    }

    private static Command Revoke()
    {
        var current = Current();
        var keyId = new Option<string>("--key-id") { Description = "Key id to revoke.", Required = true };
        var sign = SignKeys();
        var expires = ExpiresDays();
        var output = Out();
        var command = new Command("revoke", "Next root version with a key revoked everywhere.") { current, keyId, sign, expires, output };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var bytes = RootBuilder.CreateNext(File.ReadAllBytes(r.GetValue(current)!), DateTimeOffset.UtcNow.AddDays(r.GetValue(expires)))
                .RevokeKey(r.GetValue(keyId)!)
                .Build(KeygenCommand.LoadAll(r.GetValue(sign)));
            return Write(r.GetValue(output)!, bytes);
        }));
        return command;
    }

    private static Command Trust()
    {
        var trust = new Option<string>("--trust") { Description = "Device trust directory to create.", Required = true };
        var root = new Argument<string>("root") { Description = "The first root JSON to trust." };
        var command = new Command("trust", "Initialise a device trust directory with a first root.") { trust, root };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var store = TrustStore.Initialize(r.GetValue(trust)!, File.ReadAllBytes(r.GetValue(root)!));
            Console.WriteLine($"trusting root version {store.RootVersion} (expires {store.RootExpires:O})");
            return 0;
        }));
        return command;
    }

    private static Command Update()
    {
        var trust = new Option<string>("--trust") { Description = "Device trust directory.", Required = true };
        var root = new Argument<string>("root") { Description = "The next root JSON." };
        var command = new Command("update", "Install the next root version into a trust directory (verifies the rotation).") { trust, root };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var store = TrustStore.Open(r.GetValue(trust)!);
            store.UpdateRoot(File.ReadAllBytes(r.GetValue(root)!));
            Console.WriteLine($"trusting root version {store.RootVersion} (expires {store.RootExpires:O})");
            return 0;
        }));
        return command;
    }

    private static int Write(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        Directory.CreateDirectory(dir!);
        File.WriteAllBytes(path, bytes);
        Console.WriteLine($"wrote {path}");
        return 0;
    }
}
