using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// The embedded default: one SQLite file in WAL mode, schema created by numbered migrations recorded in
/// <c>schema_migrations</c>. A connection per operation (pooled by Microsoft.Data.Sqlite) keeps it safe across threads.
/// </summary>
internal sealed partial class SqliteUpdateStore : IUpdateStore
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE packages (name TEXT NOT NULL, version TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            published_ms INTEGER NOT NULL, manifest_json TEXT NOT NULL, PRIMARY KEY (name, version));
        CREATE INDEX packages_sha ON packages (sha256);
        CREATE TABLE devices (device_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, attributes_json TEXT NOT NULL,
            tags_json TEXT NOT NULL, runtime_version TEXT NOT NULL, registered_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
        CREATE TABLE device_installed (device_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, PRIMARY KEY (device_id, model));
        CREATE TABLE rollouts (id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, strategy INTEGER NOT NULL,
            canary_percent REAL NOT NULL, target_attributes_json TEXT NOT NULL, target_tags_json TEXT NOT NULL,
            state TEXT NOT NULL, created_ms INTEGER NOT NULL);
        CREATE TABLE install_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, rollout_id TEXT NOT NULL,
            model TEXT NOT NULL, version TEXT NOT NULL, success INTEGER NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL);
        CREATE INDEX install_reports_rollout ON install_reports (rollout_id, device_id, id);
        """,
        """
        ALTER TABLE rollouts ADD COLUMN stages_json TEXT NOT NULL DEFAULT '[100]';
        ALTER TABLE rollouts ADD COLUMN gates_json TEXT NOT NULL DEFAULT '';
        ALTER TABLE rollouts ADD COLUMN on_failure INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE rollouts ADD COLUMN arms_json TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE rollouts ADD COLUMN current_stage INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollouts ADD COLUMN stage_started_ms INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollouts ADD COLUMN state_reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE rollouts ADD COLUMN baseline_version TEXT NOT NULL DEFAULT '';
        CREATE TABLE health_reports (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, model TEXT NOT NULL,
            version TEXT NOT NULL, shadow INTEGER NOT NULL, at_ms INTEGER NOT NULL, requests INTEGER NOT NULL,
            errors INTEGER NOT NULL, latency_buckets BLOB NOT NULL, ground_truth INTEGER NOT NULL, correct INTEGER NOT NULL,
            abs_error_sum REAL NOT NULL);
        CREATE INDEX health_reports_version ON health_reports (model, version, shadow, at_ms);
        """,
        """
        CREATE TABLE drift_counts (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, model TEXT NOT NULL,
            version TEXT NOT NULL, at_ms INTEGER NOT NULL, name TEXT NOT NULL, counts BLOB NOT NULL, missing INTEGER NOT NULL);
        CREATE INDEX drift_counts_version ON drift_counts (model, version, at_ms);
        """,
        """
        CREATE TABLE alert_rules (id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, metric TEXT NOT NULL,
            feature TEXT NOT NULL, below INTEGER NOT NULL, threshold REAL NOT NULL, window_seconds INTEGER NOT NULL, min_samples INTEGER NOT NULL);
        CREATE TABLE alerts (id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, metric TEXT NOT NULL,
            value REAL NOT NULL, threshold REAL NOT NULL, opened_ms INTEGER NOT NULL, resolved_ms INTEGER, message TEXT NOT NULL);
        CREATE INDEX alerts_open ON alerts (resolved_ms, rule_id, version);
        """,
        """
        ALTER TABLE devices ADD COLUMN previous_token_hash TEXT NOT NULL DEFAULT '';
        CREATE INDEX devices_previous_token ON devices (previous_token_hash);
        """,
        AccessMigration,
        """
        ALTER TABLE devices ADD COLUMN certificate_sha256 TEXT NOT NULL DEFAULT '';
        CREATE UNIQUE INDEX devices_certificate ON devices (certificate_sha256) WHERE certificate_sha256 <> '';
        """,
        """
        CREATE TABLE store_changes (scope TEXT PRIMARY KEY, version INTEGER NOT NULL);
        INSERT INTO store_changes VALUES ('rollouts', 0), ('devices', 0);
        CREATE TRIGGER rollouts_inserted AFTER INSERT ON rollouts BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'rollouts'; END;
        CREATE TRIGGER rollouts_updated AFTER UPDATE ON rollouts BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'rollouts'; END;
        CREATE TRIGGER packages_inserted AFTER INSERT ON packages BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'rollouts'; END;
        CREATE TRIGGER devices_inserted AFTER INSERT ON devices BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'devices'; END;
        CREATE TRIGGER devices_updated AFTER UPDATE OF token_hash, previous_token_hash, attributes_json, tags_json, runtime_version, certificate_sha256 ON devices
            BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'devices'; END;
        CREATE TRIGGER devices_deleted AFTER DELETE ON devices BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'devices'; END;
        CREATE TRIGGER rotations_inserted AFTER INSERT ON device_rotations BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'devices'; END;
        CREATE TRIGGER rotations_deleted AFTER DELETE ON device_rotations BEGIN UPDATE store_changes SET version = version + 1 WHERE scope = 'devices'; END;
        CREATE INDEX health_reports_time ON health_reports (at_ms);
        CREATE INDEX drift_counts_time ON drift_counts (at_ms);
        """,
        """
        ALTER TABLE install_reports ADD COLUMN gate_json TEXT NOT NULL DEFAULT '';
        """,
        WebhookMigration,
        """
        CREATE TABLE rollout_events (id INTEGER PRIMARY KEY AUTOINCREMENT, rollout_id TEXT NOT NULL, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, state TEXT NOT NULL, stage INTEGER NOT NULL, reason TEXT NOT NULL, arms_json TEXT NOT NULL);
        CREATE INDEX rollout_events_rollout ON rollout_events (rollout_id, id);
        CREATE INDEX health_reports_device ON health_reports (device_id, at_ms);
        """,
        """
        CREATE TABLE health_hourly (model TEXT NOT NULL, version TEXT NOT NULL, shadow INTEGER NOT NULL, hour INTEGER NOT NULL, requests INTEGER NOT NULL,
            errors INTEGER NOT NULL, latency_buckets BLOB NOT NULL, ground_truth INTEGER NOT NULL, correct INTEGER NOT NULL, abs_error_sum REAL NOT NULL,
            PRIMARY KEY (model, version, shadow, hour)) WITHOUT ROWID;
        CREATE TABLE drift_hourly (model TEXT NOT NULL, version TEXT NOT NULL, hour INTEGER NOT NULL, name TEXT NOT NULL, bins INTEGER NOT NULL,
            counts BLOB NOT NULL, missing INTEGER NOT NULL, PRIMARY KEY (model, version, hour, name, bins)) WITHOUT ROWID;
        CREATE TABLE health_rollup_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO health_rollup_meta SELECT 'from_hour', COALESCE(MAX(h), 0) FROM
            (SELECT MAX(at_ms) / 3600000 + 1 AS h FROM health_reports UNION ALL SELECT MAX(at_ms) / 3600000 + 1 FROM drift_counts);
        """,
    ];


    private const string RolloutColumns = "id, model, version, strategy, canary_percent, target_attributes_json, target_tags_json, state, created_ms, "
        + "stages_json, gates_json, on_failure, arms_json, current_stage, stage_started_ms, state_reason, baseline_version";

    private readonly string _connectionString;

    public SqliteUpdateStore(string path)
    {
        OwnerOnly.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        OwnerOnly.EnsureFile(path); // 0600 before SQLite opens it; its -wal and -shm files take the same mode
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Cache = SqliteCacheMode.Shared, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, "PRAGMA synchronous=NORMAL;"); // WAL + NORMAL: durable across process crashes; an OS crash may lose the last commits
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL);");
        for (var i = 0; i < Migrations.Length; i++)
        {
            using var check = connection.CreateCommand();
            check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE version = $v;";
            check.Parameters.AddWithValue("$v", i + 1);
            if (Convert.ToInt64(check.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                continue;
            }

            using var tx = connection.BeginTransaction();
            Execute(connection, Migrations[i], tx);
            using var mark = connection.CreateCommand();
            mark.Transaction = tx;
            mark.CommandText = "INSERT INTO schema_migrations (version, applied_ms) VALUES ($v, $t);";
            mark.Parameters.AddWithValue("$v", i + 1);
            mark.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            mark.ExecuteNonQuery();
            tx.Commit();
        }
    }

    public async Task<bool> TryAddPackageAsync(PackageRecord package, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT OR IGNORE INTO packages VALUES ($name, $version, $sha, $size, $at, $manifest);",
            ("$name", package.Name), ("$version", package.Version), ("$sha", package.Sha256), ("$size", package.Size), ("$at", package.PublishedUnixMs), ("$manifest", package.ManifestJson));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<PackageRecord?> GetPackageAsync(string name, string version, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM packages WHERE name = $name AND version = $version;", StoreRows.ReadPackage, cancellationToken, ("$name", name), ("$version", version));

    public Task<PackageRecord?> GetPackageBySha256Async(string sha256, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM packages WHERE sha256 = $sha LIMIT 1;", StoreRows.ReadPackage, cancellationToken, ("$sha", sha256));

    public Task<IReadOnlyList<PackageRecord>> ListPackagesAsync(string? model, CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM packages WHERE $model = '' OR name = $model ORDER BY name, published_ms;", StoreRows.ReadPackage, cancellationToken, ("$model", model ?? string.Empty));

    // The three device writes share one statement shape: what differs is what a conflict on the id does, or a replace's WHERE.
    private const string InsertDevice = """
        INSERT INTO devices (device_id, token_hash, attributes_json, tags_json, runtime_version, registered_ms, last_seen_ms, previous_token_hash, certificate_sha256)
        VALUES ($id, $token, $attributes, $tags, $runtime, $registered, $seen, $previous, $certificate)
        """;

    // Everything but the id and the registration time, which a re-enrolment keeps.
    private const string SetDevice =
        "token_hash = $token, attributes_json = $attributes, tags_json = $tags, runtime_version = $runtime, last_seen_ms = $seen, previous_token_hash = $previous, certificate_sha256 = $certificate";

    public async Task UpsertDeviceAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"{InsertDevice} ON CONFLICT (device_id) DO UPDATE SET {SetDevice};", device, string.Empty, cancellationToken);

    public async Task<bool> TryAddDeviceAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"{InsertDevice} ON CONFLICT (device_id) DO NOTHING;", device, string.Empty, cancellationToken) == 1;

    public async Task<bool> TryReplaceDeviceAsync(DeviceRecord device, string expectedTokenHash, CancellationToken cancellationToken) =>
        await WriteDeviceAsync($"UPDATE devices SET {SetDevice} WHERE device_id = $id AND token_hash = $expected;", device, expectedTokenHash, cancellationToken) == 1;

    private async Task<int> WriteDeviceAsync(string sql, DeviceRecord device, string expectedTokenHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var connection = Open();
        await using var command = Command(connection, sql,
            ("$id", device.DeviceId), ("$token", device.TokenHash), ("$attributes", StoreRows.ToJson(device.Attributes)), ("$tags", StoreRows.ToJson(device.Tags)),
            ("$runtime", device.RuntimeVersion), ("$registered", device.RegisteredUnixMs), ("$seen", device.LastSeenUnixMs), ("$previous", device.PreviousTokenHash),
            ("$certificate", device.CertificateSha256), ("$expected", expectedTokenHash));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<DeviceRecord?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM devices WHERE device_id = $id;", StoreRows.ReadDevice, cancellationToken, ("$id", deviceId));

    public Task<DeviceRecord?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM devices WHERE token_hash = $hash OR (previous_token_hash = $hash AND $hash <> '') LIMIT 1;", StoreRows.ReadDevice, cancellationToken, ("$hash", tokenHash));

    public Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM devices ORDER BY device_id;", StoreRows.ReadDevice, cancellationToken);

    public async Task RecordCheckInsAsync(IReadOnlyList<CheckInRecord> checkIns, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var touch = Command(connection, "UPDATE devices SET last_seen_ms = MAX(last_seen_ms, $at) WHERE device_id = $id;", ("$at", 0L), ("$id", string.Empty));
        await using var clear = Command(connection, "DELETE FROM device_installed WHERE device_id = $id;", ("$id", string.Empty));
        await using var insert = Command(connection, "INSERT OR REPLACE INTO device_installed VALUES ($id, $model, $version);", ("$id", string.Empty), ("$model", string.Empty), ("$version", string.Empty));
        touch.Transaction = clear.Transaction = insert.Transaction = tx;
        foreach (var c in checkIns)
        {
            touch.Parameters["$at"].Value = c.AtUnixMs;
            touch.Parameters["$id"].Value = clear.Parameters["$id"].Value = insert.Parameters["$id"].Value = c.DeviceId;
            await touch.ExecuteNonQueryAsync(cancellationToken);
            await clear.ExecuteNonQueryAsync(cancellationToken);
            foreach (var i in c.Installed)
            {
                insert.Parameters["$model"].Value = i.Model;
                insert.Parameters["$version"].Value = i.Version;
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<InstalledVersion>>> GetAllInstalledAsync(CancellationToken cancellationToken)
    {
        var rows = await ListAsync("SELECT device_id, model, version FROM device_installed ORDER BY device_id, model;", r => (Device: r.GetString(0), Installed: new InstalledVersion(r.GetString(1), r.GetString(2))), cancellationToken);
        return rows.GroupBy(r => r.Device).ToDictionary(g => g.Key, g => (IReadOnlyList<InstalledVersion>)[.. g.Select(r => r.Installed)]);
    }

    public async Task AddRolloutAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, $"INSERT INTO rollouts ({RolloutColumns}) VALUES ($id, $model, $version, $strategy, $pct, $attributes, $tags, $state, $at, $stages, $gates, $onFailure, $arms, $stage, $stageStarted, $reason, $baseline);",
            ("$id", rollout.Id), ("$model", rollout.Model), ("$version", rollout.Version), ("$strategy", (int)rollout.Strategy), ("$pct", rollout.CanaryPercent),
            ("$attributes", StoreRows.ToJson(rollout.TargetAttributes)), ("$tags", StoreRows.ToJson(rollout.TargetTags)), ("$state", rollout.State.Name()), ("$at", rollout.CreatedUnixMs),
            ("$stages", JsonSerializer.Serialize(rollout.Stages.ToList(), StorageJson.Default.ListDouble)), ("$gates", JsonSerializer.Serialize(rollout.Gates, StorageJson.Default.RolloutGates)),
            ("$onFailure", rollout.OnFailure), ("$arms", JsonSerializer.Serialize(rollout.Arms.ToList(), StorageJson.Default.ListArmRecord)), ("$stage", rollout.CurrentStage),
            ("$stageStarted", rollout.StageStartedUnixMs), ("$reason", rollout.StateReason), ("$baseline", rollout.BaselineVersion));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<RolloutRecord?> GetRolloutAsync(string id, CancellationToken cancellationToken) =>
        SingleAsync($"SELECT {RolloutColumns} FROM rollouts WHERE id = $id;", StoreRows.ReadRollout, cancellationToken, ("$id", id));

    public Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string? model, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {RolloutColumns} FROM rollouts WHERE $model = '' OR model = $model ORDER BY created_ms DESC, rowid DESC;", StoreRows.ReadRollout, cancellationToken, ("$model", model ?? string.Empty));

    public Task<IReadOnlyList<RolloutRecord>> ListLiveRolloutsAsync(CancellationToken cancellationToken) =>
        ListAsync($"SELECT {RolloutColumns} FROM rollouts WHERE state IN ({StoreRows.LiveStates}) ORDER BY created_ms DESC, rowid DESC;", StoreRows.ReadRollout, cancellationToken);

    public async Task UpdateRolloutProgressAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "UPDATE rollouts SET state = $state, current_stage = $stage, stage_started_ms = $started, state_reason = $reason, arms_json = $arms WHERE id = $id;",
            ("$state", rollout.State.Name()), ("$stage", rollout.CurrentStage), ("$started", rollout.StageStartedUnixMs), ("$reason", rollout.StateReason),
            ("$arms", JsonSerializer.Serialize(rollout.Arms.ToList(), StorageJson.Default.ListArmRecord)), ("$id", rollout.Id));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AddInstallReportAsync(InstallReportRecord report, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO install_reports (device_id, rollout_id, model, version, success, reason, at_ms, gate_json) VALUES ($d, $r, $m, $v, $s, $why, $at, $gate);",
            ("$d", report.DeviceId), ("$r", report.RolloutId), ("$m", report.Model), ("$v", report.Version), ("$s", report.Success ? 1 : 0), ("$why", report.Reason), ("$at", report.AtUnixMs), ("$gate", report.GateJson));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, InstallReportRecord>> GetLatestInstallReportsAsync(string rolloutId, CancellationToken cancellationToken)
    {
        var rows = await ListAsync(
            """
            SELECT device_id, rollout_id, model, version, success, reason, at_ms, gate_json FROM install_reports r
            WHERE rollout_id = $id AND id = (SELECT MAX(id) FROM install_reports WHERE rollout_id = $id AND device_id = r.device_id);
            """,
            r => new InstallReportRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4) == 1, r.GetString(5), r.GetInt64(6), r.GetString(7)),
            cancellationToken,
            ("$id", rolloutId));
        return rows.ToDictionary(r => r.DeviceId, StringComparer.Ordinal);
    }

    public async Task AddHealthAsync(IReadOnlyList<HealthRecord> reports, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (var h in reports)
        {
            await using var command = Command(connection, "INSERT INTO health_reports (device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum) VALUES ($d, $m, $v, $s, $at, $n, $e, $b, $gt, $c, $abs);",
                ("$d", h.DeviceId), ("$m", h.Model), ("$v", h.Version), ("$s", h.Shadow ? 1 : 0), ("$at", h.AtUnixMs), ("$n", h.Requests), ("$e", h.Errors),
                ("$b", ToBlob(h.LatencyBuckets)), ("$gt", h.GroundTruth), ("$c", h.Correct), ("$abs", h.AbsErrorSum));
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await RollUpHealthAsync(connection, tx, reports, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<HealthTotals> SumHealthAsync(string model, string version, bool shadow, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken)
    {
        var sum = new HourlySums.Health();
        await using var connection = Open();
        await using var tx = connection.BeginTransaction(deferred: true); // one snapshot for the hourly rows and the reports
        var (first, end) = TelemetryRollup.WholeHours(sinceUnixMs, untilUnixMs, HourlyFrom(connection, tx));
        foreach (var (sql, from, to) in first < end
            ? [(RawHealth, sinceUnixMs, first * HourlySums.HourMs), (HourlyHealth, first, end), (RawHealth, end * HourlySums.HourMs, untilUnixMs)]
            : new[] { (RawHealth, sinceUnixMs, untilUnixMs) })
        {
            await using var command = Command(connection, sql, ("$m", model), ("$v", version), ("$s", shadow ? 1 : 0), ("$since", from), ("$until", to));
            command.Transaction = tx;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sum.Add(reader.GetInt64(0), reader.GetInt64(1), MemoryMarshal.Cast<byte, long>((byte[])reader.GetValue(2)).ToArray(), reader.GetInt64(3), reader.GetInt64(4), reader.GetDouble(5));
            }
        }

        return sum.ToTotals();
    }

    public async Task AddDriftAsync(IReadOnlyList<DriftRecord> records, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (var d in records)
        {
            await using var command = Command(connection, "INSERT INTO drift_counts (device_id, model, version, at_ms, name, counts, missing) VALUES ($d, $m, $v, $at, $n, $c, $miss);",
                ("$d", d.DeviceId), ("$m", d.Model), ("$v", d.Version), ("$at", d.AtUnixMs), ("$n", d.Name), ("$c", ToBlob(d.Counts)), ("$miss", d.Missing));
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await RollUpDriftAsync(connection, tx, records, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, (long[] Counts, long Missing)>> SumDriftAsync(string model, string version, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken)
    {
        var sum = new HourlySums.Drift();
        await using var connection = Open();
        await using var tx = connection.BeginTransaction(deferred: true);
        var (first, end) = TelemetryRollup.WholeHours(sinceUnixMs, untilUnixMs, HourlyFrom(connection, tx));
        foreach (var (sql, from, to) in first < end
            ? [(RawDrift, sinceUnixMs, first * HourlySums.HourMs), (HourlyDrift, first, end), (RawDrift, end * HourlySums.HourMs, untilUnixMs)]
            : new[] { (RawDrift, sinceUnixMs, untilUnixMs) })
        {
            await using var command = Command(connection, sql, ("$m", model), ("$v", version), ("$since", from), ("$until", to));
            command.Transaction = tx;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sum.Add(reader.GetString(0), MemoryMarshal.Cast<byte, long>((byte[])reader.GetValue(1)).ToArray(), reader.GetInt64(2));
            }
        }

        return sum.ByName;
    }

    public async Task AddAlertRuleAsync(AlertRuleRecord rule, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO alert_rules VALUES ($id, $m, $v, $metric, $f, $below, $t, $w, $min);",
            ("$id", rule.Id), ("$m", rule.Model), ("$v", rule.Version), ("$metric", rule.Metric), ("$f", rule.Feature), ("$below", rule.Below ? 1 : 0),
            ("$t", rule.Threshold), ("$w", rule.WindowSeconds), ("$min", rule.MinSamples));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<AlertRuleRecord>> ListAlertRulesAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM alert_rules ORDER BY id;", r => new AlertRuleRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5) == 1, r.GetDouble(6), r.GetInt32(7), r.GetInt64(8)), cancellationToken);

    public async Task<bool> DeleteAlertRuleAsync(string id, long atUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var delete = Command(connection, "DELETE FROM alert_rules WHERE id = $id;", ("$id", id));
        await using var resolve = Command(connection, "UPDATE alerts SET resolved_ms = $at WHERE rule_id = $id AND resolved_ms IS NULL;", ("$id", id), ("$at", atUnixMs));
        delete.Transaction = resolve.Transaction = tx;
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
        await resolve.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(bool includeResolved, CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM alerts WHERE $all = 1 OR resolved_ms IS NULL ORDER BY opened_ms DESC, id DESC;",
            r => new AlertRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5), r.GetDouble(6), r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8), r.GetString(9)),
            cancellationToken,
            ("$all", includeResolved ? 1 : 0));

    public async Task AddAlertAsync(AlertRecord alert, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, "INSERT INTO alerts VALUES ($id, $rule, $m, $v, $metric, $value, $t, $at, NULL, $msg);",
            ("$id", alert.Id), ("$rule", alert.RuleId), ("$m", alert.Model), ("$v", alert.Version), ("$metric", alert.Metric), ("$value", alert.Value),
            ("$t", alert.Threshold), ("$at", alert.OpenedUnixMs), ("$msg", alert.Message));
        command.Transaction = tx;
        await command.ExecuteNonQueryAsync(cancellationToken);
        await EnqueueAsync(connection, tx, notifications, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<bool> ResolveAlertAsync(string id, long atUnixMs, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Command(connection, "UPDATE alerts SET resolved_ms = $at WHERE id = $id AND resolved_ms IS NULL;", ("$id", id), ("$at", atUnixMs));
        command.Transaction = tx;
        var resolved = await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        if (resolved)
        {
            await EnqueueAsync(connection, tx, notifications, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return resolved;
    }

    public async Task<StoreChangeVersions> GetChangeVersionsAsync(CancellationToken cancellationToken)
    {
        var rows = await ListAsync("SELECT scope, version FROM store_changes;", r => (Scope: r.GetString(0), Version: r.GetInt64(1)), cancellationToken);
        return new StoreChangeVersions(rows.Single(r => r.Scope == "rollouts").Version, rows.Single(r => r.Scope == "devices").Version);
    }

    public async Task<long> PruneHealthAsync(long beforeUnixMs, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        long deleted = 0;
        foreach (var table in (string[])["health_reports", "drift_counts"])
        {
            await using var command = Command(connection, $"DELETE FROM {table} WHERE at_ms < $before;", ("$before", beforeUnixMs));
            command.Transaction = tx;
            deleted += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await PruneHourlyAsync(connection, tx, beforeUnixMs, cancellationToken);

        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public async Task<IReadOnlyList<HourCount>> HealthRowsPerHourAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "SELECT h, SUM(n) FROM (SELECT at_ms / 3600000 AS h, COUNT(*) AS n FROM health_reports GROUP BY 1 UNION ALL SELECT at_ms / 3600000, COUNT(*) FROM drift_counts GROUP BY 1) AS t GROUP BY h;");
        return await HourCount.ReadAsync(command, cancellationToken);
    }

    /// <summary>Counts (latency buckets, drift bins) are stored as little-endian int64 blobs.</summary>
    private static byte[] ToBlob(long[] counts) => MemoryMarshal.AsBytes(counts.AsSpan()).ToArray();

    /// <summary>Adds a stored counts blob into <paramref name="sum"/>, element by element, as far as both reach.</summary>
    internal static void AddCounts(long[] sum, object blob)
    {
        var counts = MemoryMarshal.Cast<byte, long>((byte[])blob);
        for (var i = 0; i < Math.Min(counts.Length, sum.Length); i++)
        {
            sum[i] = SaturatingCount.Add(sum[i], counts[i]);
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "SELECT count(*) FROM schema_migrations;");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private async Task<T?> SingleAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string, object)[] parameters)
        where T : class
    {
        var list = await ListAsync(sql, read, cancellationToken, parameters);
        return list.Count > 0 ? list[0] : null;
    }

    private async Task<IReadOnlyList<T>> ListAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var connection = Open();
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(read(reader));
        }

        return result;
    }
}
