using System.CommandLine;

namespace EdgeDeploy.Cli.Commands;

/// <summary>The options every operator verb takes to reach the server: --server, the operator token, and TLS (<see cref="ClientTls"/>).</summary>
internal sealed class FleetConnection
{
    public Option<string> Server { get; } = new("--server")
    {
        Description = "Update server address, https://host:port (or http:// on loopback); or EDGE_SERVER.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGE_SERVER") ?? "http://127.0.0.1:5000",
    };

    public Option<string?> Token { get; } = new("--token") { Description = "Operator token; visible to other users in ps: prefer EDGE_OPERATOR_TOKEN or --token-file." };

    public Option<string?> TokenFile { get; } = new("--token-file") { Description = "File holding the operator token (owner-only)." };

    public ClientTls Tls { get; } = new();

    public IEnumerable<Option> All => [Server, Token, TokenFile, .. Tls.All];
}

/// <summary>Lets a command's collection initializer take a <see cref="FleetConnection"/> or <see cref="ClientTls"/> as one item.</summary>
internal static class ConnectionOptionsExtensions
{
    public static void Add(this Command command, FleetConnection connection) => AddAll(command, connection.All);

    public static void Add(this Command command, ClientTls tls) => AddAll(command, tls.All);

    private static void AddAll(Command command, IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }
}
