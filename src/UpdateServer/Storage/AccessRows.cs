using System.Data.Common;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Rows of the access tables (operators, audit log, enrolment tokens) to records, shared by both backends.</summary>
internal static class AccessRows
{
    public const string OperatorColumns = "name, role, token_hash, created_by, created_ms, revoked_ms";

    public const string AuditColumns = "id, at_ms, operator, role, action, target, reason, outcome";

    public const string EnrollmentColumns = "id, token_hash, description, device_id, max_uses, uses, expires_ms, created_by, created_ms, revoked_ms";

    public const string PendingColumns = "device_id, token_hash, attributes_json, tags_json, runtime_version, requested_ms";

    public static PendingDeviceRecord ReadPending(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), StoreRows.FromJsonMap(r.GetString(2)), StoreRows.FromJsonList(r.GetString(3)), r.GetString(4), r.GetInt64(5));

    public static OperatorRecord ReadOperator(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5));

    public static AuditRecord ReadAudit(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7));

    public static EnrollmentTokenRecord ReadEnrollment(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5), r.GetInt64(6), r.GetString(7), r.GetInt64(8), r.IsDBNull(9) ? null : r.GetInt64(9));

    /// <summary>Why a token that could not be used was refused (the record as stored, read after the failed use).</summary>
    public static EnrollmentUse Explain(EnrollmentTokenRecord? token, string deviceId, long nowUnixMs) => token switch
    {
        null => EnrollmentUse.Unknown,
        { RevokedUnixMs: not null } => EnrollmentUse.Revoked,
        { ExpiresUnixMs: > 0 } when token.ExpiresUnixMs <= nowUnixMs => EnrollmentUse.Expired,
        { DeviceId.Length: > 0 } when !string.Equals(token.DeviceId, deviceId, StringComparison.Ordinal) => EnrollmentUse.OtherDevice,
        _ => EnrollmentUse.Exhausted,
    };

    public static object Nullable(long? value) => value is { } v ? v : DBNull.Value;
}
