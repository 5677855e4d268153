namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>Role names as stored and shown: lower case (viewer, deployer, admin).</summary>
internal static class OperatorRoles
{
    public static string Name(this OperatorRole role) => role.ToString().ToLowerInvariant();

    public static OperatorRole? Parse(string name) => name switch
    {
        "viewer" => OperatorRole.Viewer,
        "deployer" => OperatorRole.Deployer,
        "admin" => OperatorRole.Admin,
        _ => null,
    };
}
