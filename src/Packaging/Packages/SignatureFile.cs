namespace EdgeDeploy.Runtime.Packages;

/// <summary>Signatures stored beside the manifest.</summary>
internal sealed class SignatureFile
{
    public IReadOnlyList<SignatureEntry> Signatures { get; init; } = [];
}
