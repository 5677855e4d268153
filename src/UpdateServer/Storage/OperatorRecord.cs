namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// A named operator credential issued by an admin; the token is stored only as its SHA-256. Role is viewer, deployer or
/// admin; RevokedUnixMs is null while the credential is valid.
/// </summary>
public sealed record OperatorRecord(string Name, string Role, string TokenHash, string CreatedBy, long CreatedUnixMs, long? RevokedUnixMs);
