namespace EdgeDeploy.UpdateServer.Storage;

/// <summary><see cref="IAccessStore"/> on SQLite: operators, the audit log, enrolment tokens, device removal and rotation.</summary>
internal sealed partial class SqliteUpdateStore
{
    private const string AccessMigration = """
        CREATE TABLE operators (name TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_by TEXT NOT NULL,
            created_ms INTEGER NOT NULL, revoked_ms INTEGER);
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, operator TEXT NOT NULL, role TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL, outcome TEXT NOT NULL);
        CREATE INDEX audit_log_time ON audit_log (at_ms);
        CREATE TABLE enrollment_tokens (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, description TEXT NOT NULL, device_id TEXT NOT NULL,
            max_uses INTEGER NOT NULL, uses INTEGER NOT NULL, expires_ms INTEGER NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,
            revoked_ms INTEGER);
        CREATE TABLE device_rotations (device_id TEXT PRIMARY KEY, requested_ms INTEGER NOT NULL);
        CREATE TABLE pending_devices (device_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, attributes_json TEXT NOT NULL,
            tags_json TEXT NOT NULL, runtime_version TEXT NOT NULL, requested_ms INTEGER NOT NULL);
        """;

    public async Task<bool> TryAddOperatorAsync(OperatorRecord op, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(op);
        await using var connection = Open();
        await using var command = Command(connection, $"INSERT OR IGNORE INTO operators ({AccessRows.OperatorColumns}) VALUES ($n, $r, $h, $by, $at, $rev);",
            ("$n", op.Name), ("$r", op.Role), ("$h", op.TokenHash), ("$by", op.CreatedBy), ("$at", op.CreatedUnixMs), ("$rev", AccessRows.Nullable(op.RevokedUnixMs)));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<OperatorRecord?> FindOperatorByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {AccessRows.OperatorColumns} FROM operators WHERE token_hash = $h;", AccessRows.ReadOperator, cancellationToken, ("$h", tokenHash));

    public Task<IReadOnlyList<OperatorRecord>> ListOperatorsAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.OperatorColumns} FROM operators ORDER BY name;", AccessRows.ReadOperator, cancellationToken);

    public async Task<bool> RevokeOperatorAsync(string name, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "UPDATE operators SET revoked_ms = $at WHERE name = $n AND revoked_ms IS NULL;", ("$n", name), ("$at", atUnixMs));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO audit_log (at_ms, operator, role, action, target, reason, outcome) VALUES ($at, $op, $role, $a, $t, $why, $out);",
            ("$at", entry.AtUnixMs), ("$op", entry.Operator), ("$role", entry.Role), ("$a", entry.Action), ("$t", entry.Target), ("$why", entry.Reason), ("$out", entry.Outcome));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ListAsync(
            $"SELECT {AccessRows.AuditColumns} FROM audit_log WHERE at_ms >= $since AND ($op = '' OR operator = $op) AND ($t = '' OR target = $t) ORDER BY id DESC LIMIT $limit;",
            AccessRows.ReadAudit, cancellationToken, ("$since", query.SinceUnixMs), ("$op", query.Operator), ("$t", query.Target), ("$limit", query.Limit));
    }

    public async Task AddEnrollmentTokenAsync(EnrollmentTokenRecord token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await using var connection = Open();
        await using var command = Command(connection, $"INSERT INTO enrollment_tokens ({AccessRows.EnrollmentColumns}) VALUES ($id, $h, $d, $dev, $max, $uses, $exp, $by, $at, $rev);",
            ("$id", token.Id), ("$h", token.TokenHash), ("$d", token.Description), ("$dev", token.DeviceId), ("$max", token.MaxUses), ("$uses", token.Uses),
            ("$exp", token.ExpiresUnixMs), ("$by", token.CreatedBy), ("$at", token.CreatedUnixMs), ("$rev", AccessRows.Nullable(token.RevokedUnixMs)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<EnrollmentTokenRecord>> ListEnrollmentTokensAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.EnrollmentColumns} FROM enrollment_tokens ORDER BY created_ms, id;", AccessRows.ReadEnrollment, cancellationToken);

    public async Task<bool> RevokeEnrollmentTokenAsync(string id, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "UPDATE enrollment_tokens SET revoked_ms = $at WHERE id = $id AND revoked_ms IS NULL;", ("$id", id), ("$at", atUnixMs));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<EnrollmentUse> TryUseEnrollmentTokenAsync(string tokenHash, string deviceId, long nowUnixMs, CancellationToken cancellationToken)
    {
        await using (var connection = Open())
        await using (var use = Command(connection, """
            UPDATE enrollment_tokens SET uses = uses + 1
            WHERE token_hash = $h AND revoked_ms IS NULL AND (expires_ms = 0 OR expires_ms > $now) AND (max_uses = 0 OR uses < max_uses)
                AND (device_id = '' OR device_id = $d);
            """, ("$h", tokenHash), ("$now", nowUnixMs), ("$d", deviceId)))
        {
            if (await use.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return EnrollmentUse.Accepted;
            }
        }

        var token = await SingleAsync($"SELECT {AccessRows.EnrollmentColumns} FROM enrollment_tokens WHERE token_hash = $h;", AccessRows.ReadEnrollment, cancellationToken, ("$h", tokenHash));
        return AccessRows.Explain(token, deviceId, nowUnixMs);
    }

    public async Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (Microsoft.Data.Sqlite.SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var device = Command(connection, "DELETE FROM devices WHERE device_id = $id;", ("$id", deviceId));
        await using var installed = Command(connection, "DELETE FROM device_installed WHERE device_id = $id;", ("$id", deviceId));
        await using var rotation = Command(connection, "DELETE FROM device_rotations WHERE device_id = $id;", ("$id", deviceId));
        device.Transaction = installed.Transaction = rotation.Transaction = tx;
        var deleted = await device.ExecuteNonQueryAsync(cancellationToken) == 1;
        await installed.ExecuteNonQueryAsync(cancellationToken);
        await rotation.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task AddPendingRotationAsync(string deviceId, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT OR REPLACE INTO device_rotations VALUES ($id, $at);", ("$id", deviceId), ("$at", atUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemovePendingRotationAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "DELETE FROM device_rotations WHERE device_id = $id;", ("$id", deviceId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListPendingRotationsAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT device_id FROM device_rotations ORDER BY device_id;", r => r.GetString(0), cancellationToken);

    public async Task<bool> TryAddPendingDeviceAsync(PendingDeviceRecord device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var connection = Open();
        await using var command = Command(connection, $"INSERT OR IGNORE INTO pending_devices ({AccessRows.PendingColumns}) VALUES ($id, $h, $a, $t, $rt, $at);",
            ("$id", device.DeviceId), ("$h", device.TokenHash), ("$a", StoreRows.ToJson(device.Attributes)), ("$t", StoreRows.ToJson(device.Tags)),
            ("$rt", device.RuntimeVersion), ("$at", device.RequestedUnixMs));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<IReadOnlyList<PendingDeviceRecord>> ListPendingDevicesAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.PendingColumns} FROM pending_devices ORDER BY requested_ms, device_id;", AccessRows.ReadPending, cancellationToken);

    public Task<PendingDeviceRecord?> FindPendingDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {AccessRows.PendingColumns} FROM pending_devices WHERE token_hash = $h;", AccessRows.ReadPending, cancellationToken, ("$h", tokenHash));

    public async Task<PendingDeviceRecord?> TakePendingDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        var found = await SingleAsync($"SELECT {AccessRows.PendingColumns} FROM pending_devices WHERE device_id = $id;", AccessRows.ReadPending, cancellationToken, ("$id", deviceId));
        if (found is null)
        {
            return null;
        }

        await using var connection = Open();
        await using var delete = Command(connection, "DELETE FROM pending_devices WHERE device_id = $id AND token_hash = $h;", ("$id", deviceId), ("$h", found.TokenHash));
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1 ? found : null;
    }
}
