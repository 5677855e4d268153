namespace EdgeDeploy.Runtime.Packages;

internal sealed class RoleEntry
{
    public required IReadOnlyList<string> KeyIds { get; init; }

    public required int Threshold { get; init; }
}
