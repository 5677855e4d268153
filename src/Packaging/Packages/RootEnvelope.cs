namespace EdgeDeploy.Runtime.Packages;

/// <summary>A signed root document: the payload bytes (base64) and the signatures over them.</summary>
internal sealed class RootEnvelope
{
    public required string PayloadType { get; init; }

    public required string Payload { get; init; }

    public IReadOnlyList<SignatureEntry> Signatures { get; init; } = [];
}
