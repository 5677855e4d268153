using System.CommandLine;
using EdgeDeploy.Runtime.Agent;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// <c>--ca</c>, <c>--client-cert</c> and <c>--client-key</c> (or EDGE_CA, EDGE_CLIENT_CERT, EDGE_CLIENT_KEY): how the
/// operator verbs and <c>edge agent</c> reach an https:// server. Channels come from the agent's own
/// <see cref="ServerChannel"/>, so the CLI and devices check the server the same way.
/// </summary>
internal sealed class ClientTls
{
    public Option<string?> Ca { get; } = new("--ca")
    {
        Description = "PEM file with the CA the server's certificate must chain to; only that CA is trusted (or EDGE_CA). Default: the system trust store.",
    };

    public Option<string?> ClientCertificate { get; } = new("--client-cert")
    {
        Description = "PEM client certificate presented for mutual TLS (or EDGE_CLIENT_CERT).",
    };

    public Option<string?> ClientKey { get; } = new("--client-key")
    {
        Description = "PEM private key of --client-cert, when not in that file (or EDGE_CLIENT_KEY).",
    };

    public IEnumerable<Option> All => [Ca, ClientCertificate, ClientKey];

    /// <summary>The CA, client certificate and key files given on the command line or in the environment.</summary>
    public (string? Ca, string? Certificate, string? Key) Files(ParseResult result) =>
        (Value(result, Ca, "EDGE_CA"), Value(result, ClientCertificate, "EDGE_CLIENT_CERT"), Value(result, ClientKey, "EDGE_CLIENT_KEY"));

    /// <summary>A channel to <paramref name="server"/> with these settings.</summary>
    public GrpcChannel Open(ParseResult result, string server, CallCredentials? callCredentials = null)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var address))
        {
            throw new ArgumentException($"--server '{server}' is not an absolute http:// or https:// address.");
        }

        var (ca, certificate, key) = Files(result);
        return ServerChannel.Create(address, ca, certificate, key, callCredentials);
    }

    private static string? Value(ParseResult result, Option<string?> option, string variable) =>
        result.GetValue(option) is { Length: > 0 } given ? given
        : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;
}
