using System.Data.Common;
using System.Text.Json;
using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// The control plane on PostgreSQL, for several replicas on one database: the same contract as <see cref="SqliteUpdateStore"/>
/// (schema in <see cref="PostgresSchema"/>). Every statement runs on a pooled connection of the shared data source.
/// </summary>
internal sealed partial class PostgresUpdateStore(NpgsqlDataSource dataSource) : IUpdateStore
{

    private const string RolloutColumns = "id, model, version, strategy, canary_percent, target_attributes_json, target_tags_json, state, created_ms, "
        + "stages_json, gates_json, on_failure, arms_json, current_stage, stage_started_ms, state_reason, baseline_version";

    public async Task<bool> TryAddPackageAsync(PackageRecord package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        await using var command = Command("INSERT INTO packages VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING;",
            package.Name, package.Version, package.Sha256, package.Size, package.PublishedUnixMs, package.ManifestJson);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<PackageRecord?> GetPackageAsync(string name, string version, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM packages WHERE name = $1 AND version = $2;", StoreRows.ReadPackage, cancellationToken, name, version);

    public Task<PackageRecord?> GetPackageBySha256Async(string sha256, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM packages WHERE sha256 = $1 LIMIT 1;", StoreRows.ReadPackage, cancellationToken, sha256);

    public Task<IReadOnlyList<PackageRecord>> ListPackagesAsync(string? model, CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM packages WHERE $1 = '' OR name = $1 ORDER BY name, published_ms;", StoreRows.ReadPackage, cancellationToken, model ?? string.Empty);

    // The three device writes share one statement shape: what differs is what a conflict on the id does, or a replace's WHERE.
    private const string InsertDevice = """
        INSERT INTO devices (device_id, token_hash, attributes_json, tags_json, runtime_version, registered_ms, last_seen_ms, previous_token_hash, certificate_sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """;

    // Everything but the id and the registration time ($6), which a re-enrolment keeps.
    private const string SetDevice =
        "token_hash = $2, attributes_json = $3, tags_json = $4, runtime_version = $5, last_seen_ms = $7, previous_token_hash = $8, certificate_sha256 = $9";

    public async Task UpsertDeviceAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"{InsertDevice} ON CONFLICT (device_id) DO UPDATE SET {SetDevice};", device, null, cancellationToken).ConfigureAwait(false);

    public async Task<bool> TryAddDeviceAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"{InsertDevice} ON CONFLICT (device_id) DO NOTHING;", device, null, cancellationToken).ConfigureAwait(false) == 1;

    public async Task<bool> TryReplaceDeviceAsync(DeviceRecord device, string expectedTokenHash, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"UPDATE devices SET {SetDevice} WHERE device_id = $1 AND token_hash = $10;", device, expectedTokenHash, cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Runs one of the device writes: $1-$9 are the record's columns, $10 (a replace only) the credential it expects.</summary>
    private async Task<int> WriteDeviceAsync(string sql, DeviceRecord device, string? expectedTokenHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        object[] values =
        [
            device.DeviceId, device.TokenHash, StoreRows.ToJson(device.Attributes), StoreRows.ToJson(device.Tags), device.RuntimeVersion, device.RegisteredUnixMs,
            device.LastSeenUnixMs, device.PreviousTokenHash, device.CertificateSha256,
        ];
        await using var command = Command(sql, expectedTokenHash is null ? values : [.. values, expectedTokenHash]);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<DeviceRecord?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM devices WHERE device_id = $1;", StoreRows.ReadDevice, cancellationToken, deviceId);

    public Task<DeviceRecord?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM devices WHERE token_hash = $1 OR (previous_token_hash = $1 AND $1 <> '') LIMIT 1;", StoreRows.ReadDevice, cancellationToken, tokenHash);

    public Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM devices ORDER BY device_id;", StoreRows.ReadDevice, cancellationToken);

    public async Task RecordCheckInsAsync(IReadOnlyList<CheckInRecord> checkIns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkIns);
        if (checkIns.Count == 0)
        {
            return;
        }

        // One statement per table for the whole flush. Applied in order, a device's check-ins leave its latest last-seen time
        // and the installed list of its last check-in (a model listed twice: the later entry); folding them here first keeps
        // each row touched once, and sorting by device makes replicas flushing overlapping devices lock rows in one order.
        var latest = new SortedDictionary<string, (long At, IReadOnlyList<InstalledVersion> Installed)>(StringComparer.Ordinal);
        foreach (var c in checkIns)
        {
            latest[c.DeviceId] = latest.TryGetValue(c.DeviceId, out var seen) ? (Math.Max(seen.At, c.AtUnixMs), c.Installed) : (c.AtUnixMs, c.Installed);
        }

        var ids = latest.Keys.ToArray();
        var ats = latest.Values.Select(v => v.At).ToArray();
        var installed = latest.SelectMany(kv => kv.Value.Installed.GroupBy(i => i.Model, StringComparer.Ordinal).Select(g => (Device: kv.Key, g.Last().Model, g.Last().Version))).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            batch.BatchCommands.Add(BatchCommand(
                "UPDATE devices d SET last_seen_ms = GREATEST(d.last_seen_ms, u.at) FROM unnest($1::text[], $2::bigint[]) AS u(id, at) WHERE d.device_id = u.id;", ids, ats));
            batch.BatchCommands.Add(BatchCommand("DELETE FROM device_installed WHERE device_id = ANY($1::text[]);", (object)ids));
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO device_installed SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (device_id, model) DO UPDATE SET version = EXCLUDED.version;",
                installed.Select(i => i.Device).ToArray(), installed.Select(i => i.Model).ToArray(), installed.Select(i => i.Version).ToArray()));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<InstalledVersion>>> GetAllInstalledAsync(CancellationToken cancellationToken)
    {
        var rows = await ListAsync("SELECT device_id, model, version FROM device_installed ORDER BY device_id, model;", r => (Device: r.GetString(0), Installed: new InstalledVersion(r.GetString(1), r.GetString(2))), cancellationToken).ConfigureAwait(false);
        return rows.GroupBy(r => r.Device).ToDictionary(g => g.Key, g => (IReadOnlyList<InstalledVersion>)[.. g.Select(r => r.Installed)]);
    }

    public async Task AddRolloutAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        await using var command = Command($"INSERT INTO rollouts ({RolloutColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17);",
            rollout.Id, rollout.Model, rollout.Version, (int)rollout.Strategy, rollout.CanaryPercent, StoreRows.ToJson(rollout.TargetAttributes), StoreRows.ToJson(rollout.TargetTags), rollout.State.Name(),
            rollout.CreatedUnixMs, JsonSerializer.Serialize(rollout.Stages.ToList(), StorageJson.Default.ListDouble), JsonSerializer.Serialize(rollout.Gates, StorageJson.Default.RolloutGates),
            rollout.OnFailure, JsonSerializer.Serialize(rollout.Arms.ToList(), StorageJson.Default.ListArmRecord), rollout.CurrentStage, rollout.StageStartedUnixMs,
            rollout.StateReason, rollout.BaselineVersion);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<RolloutRecord?> GetRolloutAsync(string id, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {RolloutColumns} FROM rollouts WHERE id = $1;", StoreRows.ReadRollout, cancellationToken, id);

    public Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string? model, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {RolloutColumns} FROM rollouts WHERE $1 = '' OR model = $1 ORDER BY created_ms DESC, seq DESC;", StoreRows.ReadRollout, cancellationToken, model ?? string.Empty);

    public Task<IReadOnlyList<RolloutRecord>> ListLiveRolloutsAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {RolloutColumns} FROM rollouts WHERE state IN ({StoreRows.LiveStates}) ORDER BY created_ms DESC, seq DESC;", StoreRows.ReadRollout, cancellationToken);

    public async Task UpdateRolloutProgressAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        await using var command = Command("UPDATE rollouts SET state = $1, current_stage = $2, stage_started_ms = $3, state_reason = $4, arms_json = $5 WHERE id = $6;",
            rollout.State.Name(), rollout.CurrentStage, rollout.StageStartedUnixMs, rollout.StateReason, JsonSerializer.Serialize(rollout.Arms.ToList(), StorageJson.Default.ListArmRecord), rollout.Id);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AddInstallReportAsync(InstallReportRecord report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await using var command = Command("INSERT INTO install_reports (device_id, rollout_id, model, version, success, reason, at_ms, gate_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);",
            report.DeviceId, report.RolloutId, report.Model, report.Version, report.Success, report.Reason, report.AtUnixMs, report.GateJson);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, InstallReportRecord>> GetLatestInstallReportsAsync(string rolloutId, CancellationToken cancellationToken)
    {
        var rows = await ListAsync(
            "SELECT DISTINCT ON (device_id) device_id, rollout_id, model, version, success, reason, at_ms, gate_json FROM install_reports WHERE rollout_id = $1 ORDER BY device_id, id DESC;",
            r => new InstallReportRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), r.GetString(5), r.GetInt64(6), r.GetString(7)),
            cancellationToken,
            rolloutId).ConfigureAwait(false);
        return rows.ToDictionary(r => r.DeviceId, StringComparer.Ordinal);
    }

    public async Task AddHealthAsync(IReadOnlyList<HealthRecord> reports, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reports);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            foreach (var h in reports)
            {
                batch.BatchCommands.Add(BatchCommand(
                    "INSERT INTO health_reports (device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);",
                    h.DeviceId, h.Model, h.Version, h.Shadow, h.AtUnixMs, h.Requests, h.Errors, h.LatencyBuckets, h.GroundTruth, h.Correct, h.AbsErrorSum));
            }

            AddHealthRollups(batch, reports, await HourlyFromAsync(cancellationToken).ConfigureAwait(false));
            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<HealthTotals> SumHealthAsync(string model, string version, bool shadow, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken)
    {
        var sum = new HourlySums.Health();
        var (first, end) = TelemetryRollup.WholeHours(sinceUnixMs, untilUnixMs, await HourlyFromAsync(cancellationToken).ConfigureAwait(false));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        foreach (var (sql, from, to) in first < end
            ? [(RawHealth, sinceUnixMs, first * HourlySums.HourMs), (HourlyHealth, first, end), (RawHealth, end * HourlySums.HourMs, untilUnixMs)]
            : new[] { (RawHealth, sinceUnixMs, untilUnixMs) })
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            foreach (var value in new object[] { model, version, shadow, from, to })
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sum.Add(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<long[]>(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetDouble(5));
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return sum.ToTotals();
    }

    public async Task AddDriftAsync(IReadOnlyList<DriftRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            foreach (var d in records)
            {
                batch.BatchCommands.Add(BatchCommand("INSERT INTO drift_counts (device_id, model, version, at_ms, name, counts, missing) VALUES ($1, $2, $3, $4, $5, $6, $7);",
                    d.DeviceId, d.Model, d.Version, d.AtUnixMs, d.Name, d.Counts, d.Missing));
            }

            AddDriftRollups(batch, records, await HourlyFromAsync(cancellationToken).ConfigureAwait(false));
            if (batch.BatchCommands.Count > 0)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, (long[] Counts, long Missing)>> SumDriftAsync(string model, string version, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken)
    {
        var sum = new HourlySums.Drift();
        var (first, end) = TelemetryRollup.WholeHours(sinceUnixMs, untilUnixMs, await HourlyFromAsync(cancellationToken).ConfigureAwait(false));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        foreach (var (sql, from, to) in first < end
            ? [(RawDrift, sinceUnixMs, first * HourlySums.HourMs), (HourlyDrift, first, end), (RawDrift, end * HourlySums.HourMs, untilUnixMs)]
            : new[] { (RawDrift, sinceUnixMs, untilUnixMs) })
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            foreach (var value in new object[] { model, version, from, to })
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sum.Add(reader.GetString(0), reader.GetFieldValue<long[]>(1), reader.GetInt64(2));
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return sum.ByName;
    }

    public async Task AddAlertRuleAsync(AlertRuleRecord rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        await using var command = Command("INSERT INTO alert_rules VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);",
            rule.Id, rule.Model, rule.Version, rule.Metric, rule.Feature, rule.Below, rule.Threshold, rule.WindowSeconds, rule.MinSamples);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<AlertRuleRecord>> ListAlertRulesAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM alert_rules ORDER BY id;", r => new AlertRuleRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBoolean(5), r.GetDouble(6), r.GetInt32(7), r.GetInt64(8)), cancellationToken);

    public async Task<bool> DeleteAlertRuleAsync(string id, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                BatchCommand("DELETE FROM alert_rules WHERE id = $1;", id),
                BatchCommand("UPDATE alerts SET resolved_ms = $2 WHERE rule_id = $1 AND resolved_ms IS NULL;", id, atUnixMs),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return batch.BatchCommands[0].RecordsAffected == 1;
    }

    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(bool includeResolved, CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM alerts WHERE $1 OR resolved_ms IS NULL ORDER BY opened_ms DESC, id DESC;",
            r => new AlertRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5), r.GetDouble(6), r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.GetString(9)),
            cancellationToken,
            includeResolved);

    public async Task AddAlertAsync(AlertRecord alert, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(notifications);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            batch.BatchCommands.Add(BatchCommand("INSERT INTO alerts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9);",
                alert.Id, alert.RuleId, alert.Model, alert.Version, alert.Metric, alert.Value, alert.Threshold, alert.OpenedUnixMs, alert.Message));
            AddEnqueue(batch, notifications);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> ResolveAlertAsync(string id, long atUnixMs, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        bool resolved;
        await using (var update = new NpgsqlCommand("UPDATE alerts SET resolved_ms = $2 WHERE id = $1 AND resolved_ms IS NULL;", connection, tx))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = id });
            update.Parameters.Add(new NpgsqlParameter { Value = atUnixMs });
            resolved = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }

        if (resolved && notifications.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            AddEnqueue(batch, notifications);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return resolved;
    }

    public async Task<StoreChangeVersions> GetChangeVersionsAsync(CancellationToken cancellationToken)
    {
        var rows = await ListAsync("SELECT scope, version FROM store_changes;", r => (Scope: r.GetString(0), Version: r.GetInt64(1)), cancellationToken).ConfigureAwait(false);
        return new StoreChangeVersions(rows.Single(r => r.Scope == "rollouts").Version, rows.Single(r => r.Scope == "devices").Version);
    }

    public async Task<long> PruneHealthAsync(long beforeUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                BatchCommand("DELETE FROM health_reports WHERE at_ms < $1;", beforeUnixMs),
                BatchCommand("DELETE FROM drift_counts WHERE at_ms < $1;", beforeUnixMs),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var deleted = batch.BatchCommands.Sum<NpgsqlBatchCommand>(c => (long)c.RecordsAffected);
        await PruneHourlyAsync(connection, tx, beforeUnixMs, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    public async Task<IReadOnlyList<HourCount>> HealthRowsPerHourAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT h, SUM(n) FROM (SELECT at_ms / 3600000 AS h, COUNT(*) AS n FROM health_reports GROUP BY 1 UNION ALL SELECT at_ms / 3600000, COUNT(*) FROM drift_counts GROUP BY 1) AS t GROUP BY h;");
        return await HourCount.ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds stored counts into <paramref name="sum"/>, element by element, as far as both reach.</summary>
    private static void AddCounts(long[] sum, long[] counts)
    {
        for (var i = 0; i < Math.Min(counts.Length, sum.Length); i++)
        {
            sum[i] = SaturatingCount.Add(sum[i], counts[i]);
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT count(*) FROM schema_migrations;");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static NpgsqlBatchCommand BatchCommand(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private async Task<T?> SingleAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params object[] parameters)
        where T : class
    {
        var list = await ListAsync(sql, read, cancellationToken, parameters).ConfigureAwait(false);
        return list.Count > 0 ? list[0] : null;
    }

    private async Task<IReadOnlyList<T>> ListAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(read(reader));
        }

        return result;
    }
}
