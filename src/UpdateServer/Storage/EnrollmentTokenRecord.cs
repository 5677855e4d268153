namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// An enrolment token an admin issued: limited to <paramref name="MaxUses"/> registrations (0: unlimited) until
/// <paramref name="ExpiresUnixMs"/> (0: never), and to one device id when <paramref name="DeviceId"/> is set. The token
/// itself is stored only as its SHA-256.
/// </summary>
public sealed record EnrollmentTokenRecord(
    string Id, string TokenHash, string Description, string DeviceId, int MaxUses, int Uses, long ExpiresUnixMs, string CreatedBy, long CreatedUnixMs, long? RevokedUnixMs);
