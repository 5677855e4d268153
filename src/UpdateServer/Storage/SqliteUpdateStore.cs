using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// The embedded default: one SQLite file in WAL mode, schema created by numbered migrations recorded in
/// <c>schema_migrations</c>. A connection per operation (pooled by Microsoft.Data.Sqlite) keeps it safe across threads.
/// </summary>
public sealed class SqliteUpdateStore : IUpdateStore
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
    ];

    private readonly string _connectionString;

    public SqliteUpdateStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Cache = SqliteCacheMode.Shared, Pooling = true }.ToString();
        using var connection = Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
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
        SingleAsync("SELECT * FROM packages WHERE name = $name AND version = $version;", ReadPackage, cancellationToken, ("$name", name), ("$version", version));

    public Task<PackageRecord?> GetPackageBySha256Async(string sha256, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM packages WHERE sha256 = $sha LIMIT 1;", ReadPackage, cancellationToken, ("$sha", sha256));

    public Task<IReadOnlyList<PackageRecord>> ListPackagesAsync(string? model, CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM packages WHERE $model = '' OR name = $model ORDER BY name, published_ms;", ReadPackage, cancellationToken, ("$model", model ?? string.Empty));

    public async Task UpsertDeviceAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, """
            INSERT INTO devices VALUES ($id, $token, $attributes, $tags, $runtime, $registered, $seen)
            ON CONFLICT (device_id) DO UPDATE SET token_hash = $token, attributes_json = $attributes, tags_json = $tags,
                runtime_version = $runtime, last_seen_ms = $seen;
            """,
            ("$id", device.DeviceId), ("$token", device.TokenHash), ("$attributes", ToJson(device.Attributes)), ("$tags", ToJson(device.Tags)),
            ("$runtime", device.RuntimeVersion), ("$registered", device.RegisteredUnixMs), ("$seen", device.LastSeenUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<DeviceRecord?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM devices WHERE token_hash = $hash;", ReadDevice, cancellationToken, ("$hash", tokenHash));

    public Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM devices ORDER BY device_id;", ReadDevice, cancellationToken);

    public async Task RecordCheckInAsync(string deviceId, long atUnixMs, IReadOnlyList<InstalledVersion> installed, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var touch = Command(connection, "UPDATE devices SET last_seen_ms = $at WHERE device_id = $id;", ("$at", atUnixMs), ("$id", deviceId)))
        {
            touch.Transaction = (SqliteTransaction)tx;
            await touch.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var clear = Command(connection, "DELETE FROM device_installed WHERE device_id = $id;", ("$id", deviceId)))
        {
            clear.Transaction = (SqliteTransaction)tx;
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var i in installed)
        {
            await using var insert = Command(connection, "INSERT OR REPLACE INTO device_installed VALUES ($id, $model, $version);", ("$id", deviceId), ("$model", i.Model), ("$version", i.Version));
            insert.Transaction = (SqliteTransaction)tx;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<InstalledVersion>> GetInstalledAsync(string deviceId, CancellationToken cancellationToken) =>
        ListAsync("SELECT model, version FROM device_installed WHERE device_id = $id ORDER BY model;", r => new InstalledVersion(r.GetString(0), r.GetString(1)), cancellationToken, ("$id", deviceId));

    public async Task AddRolloutAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO rollouts VALUES ($id, $model, $version, $strategy, $pct, $attributes, $tags, $state, $at);",
            ("$id", rollout.Id), ("$model", rollout.Model), ("$version", rollout.Version), ("$strategy", rollout.Strategy), ("$pct", rollout.CanaryPercent),
            ("$attributes", ToJson(rollout.TargetAttributes)), ("$tags", ToJson(rollout.TargetTags)), ("$state", rollout.State), ("$at", rollout.CreatedUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<RolloutRecord?> GetRolloutAsync(string id, CancellationToken cancellationToken) =>
        SingleAsync("SELECT * FROM rollouts WHERE id = $id;", ReadRollout, cancellationToken, ("$id", id));

    public Task<IReadOnlyList<RolloutRecord>> ListActiveRolloutsAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT * FROM rollouts WHERE state IN ('active', 'completed') ORDER BY created_ms DESC, rowid DESC;", ReadRollout, cancellationToken);

    public async Task SetRolloutStateAsync(string id, string state, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "UPDATE rollouts SET state = $state WHERE id = $id;", ("$state", state), ("$id", id));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AddInstallReportAsync(InstallReportRecord report, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO install_reports (device_id, rollout_id, model, version, success, reason, at_ms) VALUES ($d, $r, $m, $v, $s, $why, $at);",
            ("$d", report.DeviceId), ("$r", report.RolloutId), ("$m", report.Model), ("$v", report.Version), ("$s", report.Success ? 1 : 0), ("$why", report.Reason), ("$at", report.AtUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<(int Installed, int Failed)> CountInstallReportsAsync(string rolloutId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, """
            SELECT COALESCE(SUM(success), 0), COALESCE(SUM(1 - success), 0) FROM install_reports r
            WHERE rollout_id = $id AND id = (SELECT MAX(id) FROM install_reports WHERE rollout_id = $id AND device_id = r.device_id);
            """, ("$id", rolloutId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetInt32(1));
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

    private static PackageRecord ReadPackage(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetString(5));

    private static DeviceRecord ReadDevice(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), FromJsonMap(r.GetString(2)), FromJsonList(r.GetString(3)), r.GetString(4), r.GetInt64(5), r.GetInt64(6));

    private static RolloutRecord ReadRollout(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetDouble(4), FromJsonMap(r.GetString(5)), FromJsonList(r.GetString(6)), r.GetString(7), r.GetInt64(8));

    private static string ToJson(IReadOnlyDictionary<string, string> map) => JsonSerializer.Serialize(map.ToDictionary(), StorageJson.Default.DictionaryStringString);

    private static string ToJson(IReadOnlyList<string> list) => JsonSerializer.Serialize(list.ToList(), StorageJson.Default.ListString);

    private static Dictionary<string, string> FromJsonMap(string json) => JsonSerializer.Deserialize(json, StorageJson.Default.DictionaryStringString) ?? [];

    private static List<string> FromJsonList(string json) => JsonSerializer.Deserialize(json, StorageJson.Default.ListString) ?? [];
}

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class StorageJson : JsonSerializerContext;
