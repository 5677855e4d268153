namespace EdgeDeploy.UpdateServer.Storage;

/// <summary><see cref="IAccessStore"/> on PostgreSQL: operators, the audit log, enrolment tokens, device removal and rotation.</summary>
internal sealed partial class PostgresUpdateStore
{
    public async Task<bool> TryAddOperatorAsync(OperatorRecord op, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(op);
        await using var command = Command($"INSERT INTO operators ({AccessRows.OperatorColumns}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING;",
            op.Name, op.Role, op.TokenHash, op.CreatedBy, op.CreatedUnixMs, AccessRows.Nullable(op.RevokedUnixMs));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<OperatorRecord?> FindOperatorByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {AccessRows.OperatorColumns} FROM operators WHERE token_hash = $1;", AccessRows.ReadOperator, cancellationToken, tokenHash);

    public Task<IReadOnlyList<OperatorRecord>> ListOperatorsAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.OperatorColumns} FROM operators ORDER BY name;", AccessRows.ReadOperator, cancellationToken);

    public async Task<bool> RevokeOperatorAsync(string name, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var command = Command("UPDATE operators SET revoked_ms = $2 WHERE name = $1 AND revoked_ms IS NULL;", name, atUnixMs);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = Command("INSERT INTO audit_log (at_ms, operator, role, action, target, reason, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7);",
            entry.AtUnixMs, entry.Operator, entry.Role, entry.Action, entry.Target, entry.Reason, entry.Outcome);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ListAsync(
            $"SELECT {AccessRows.AuditColumns} FROM audit_log WHERE at_ms >= $1 AND ($2 = '' OR operator = $2) AND ($3 = '' OR target = $3) ORDER BY id DESC LIMIT $4;",
            AccessRows.ReadAudit, cancellationToken, query.SinceUnixMs, query.Operator, query.Target, query.Limit);
    }

    public async Task AddEnrollmentTokenAsync(EnrollmentTokenRecord token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        await using var command = Command($"INSERT INTO enrollment_tokens ({AccessRows.EnrollmentColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);",
            token.Id, token.TokenHash, token.Description, token.DeviceId, token.MaxUses, token.Uses, token.ExpiresUnixMs, token.CreatedBy, token.CreatedUnixMs, AccessRows.Nullable(token.RevokedUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<EnrollmentTokenRecord>> ListEnrollmentTokensAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.EnrollmentColumns} FROM enrollment_tokens ORDER BY created_ms, id;", AccessRows.ReadEnrollment, cancellationToken);

    public async Task<bool> RevokeEnrollmentTokenAsync(string id, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var command = Command("UPDATE enrollment_tokens SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL;", id, atUnixMs);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<EnrollmentUse> TryUseEnrollmentTokenAsync(string tokenHash, string deviceId, long nowUnixMs, CancellationToken cancellationToken)
    {
        await using (var use = Command("""
            UPDATE enrollment_tokens SET uses = uses + 1
            WHERE token_hash = $1 AND revoked_ms IS NULL AND (expires_ms = 0 OR expires_ms > $2) AND (max_uses = 0 OR uses < max_uses)
                AND (device_id = '' OR device_id = $3);
            """, tokenHash, nowUnixMs, deviceId))
        {
            if (await use.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
            {
                return EnrollmentUse.Accepted;
            }
        }

        var token = await SingleAsync($"SELECT {AccessRows.EnrollmentColumns} FROM enrollment_tokens WHERE token_hash = $1;", AccessRows.ReadEnrollment, cancellationToken, tokenHash).ConfigureAwait(false);
        return AccessRows.Explain(token, deviceId, nowUnixMs);
    }

    public async Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new Npgsql.NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                BatchCommand("DELETE FROM devices WHERE device_id = $1;", deviceId),
                BatchCommand("DELETE FROM device_installed WHERE device_id = $1;", deviceId),
                BatchCommand("DELETE FROM device_rotations WHERE device_id = $1;", deviceId),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var deleted = batch.BatchCommands[0].RecordsAffected == 1;
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    public async Task AddPendingRotationAsync(string deviceId, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var command = Command("INSERT INTO device_rotations VALUES ($1, $2) ON CONFLICT (device_id) DO UPDATE SET requested_ms = $2;", deviceId, atUnixMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RemovePendingRotationAsync(string deviceId, CancellationToken cancellationToken)
    {
        await using var command = Command("DELETE FROM device_rotations WHERE device_id = $1;", deviceId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<string>> ListPendingRotationsAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT device_id FROM device_rotations ORDER BY device_id;", r => r.GetString(0), cancellationToken);

    public async Task<bool> TryAddPendingDeviceAsync(PendingDeviceRecord device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var command = Command($"INSERT INTO pending_devices ({AccessRows.PendingColumns}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING;",
            device.DeviceId, device.TokenHash, StoreRows.ToJson(device.Attributes), StoreRows.ToJson(device.Tags), device.RuntimeVersion, device.RequestedUnixMs);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<IReadOnlyList<PendingDeviceRecord>> ListPendingDevicesAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {AccessRows.PendingColumns} FROM pending_devices ORDER BY requested_ms, device_id;", AccessRows.ReadPending, cancellationToken);

    public Task<PendingDeviceRecord?> FindPendingDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {AccessRows.PendingColumns} FROM pending_devices WHERE token_hash = $1;", AccessRows.ReadPending, cancellationToken, tokenHash);

    public Task<PendingDeviceRecord?> TakePendingDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        SingleAsync($"DELETE FROM pending_devices WHERE device_id = $1 RETURNING {AccessRows.PendingColumns};", AccessRows.ReadPending, cancellationToken, deviceId);
}
