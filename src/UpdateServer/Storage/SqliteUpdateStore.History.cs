using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Rollout history, per-device health, and the hourly health and drift roll-ups (<see cref="HourlySums"/>).</summary>
internal sealed partial class SqliteUpdateStore
{
    private const string RawHealth = "SELECT requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE model = $m AND version = $v AND shadow = $s AND at_ms >= $since AND at_ms < $until;";

    private const string HourlyHealth = "SELECT requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_hourly WHERE model = $m AND version = $v AND shadow = $s AND hour >= $since AND hour < $until;";

    private const string RawDrift = "SELECT name, counts, missing FROM drift_counts WHERE model = $m AND version = $v AND at_ms >= $since AND at_ms < $until ORDER BY id;";

    private const string HourlyDrift = "SELECT name, counts, missing FROM drift_hourly WHERE model = $m AND version = $v AND hour >= $since AND hour < $until ORDER BY hour, name, bins;";

    private long? _hourlyFrom;

    public async Task AddRolloutEventAsync(RolloutEventRecord entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO rollout_events (rollout_id, at_ms, actor, action, state, stage, reason, arms_json) VALUES ($r, $at, $who, $what, $state, $stage, $why, $arms);",
            ("$r", entry.RolloutId), ("$at", entry.AtUnixMs), ("$who", entry.Actor), ("$what", entry.Action), ("$state", entry.State), ("$stage", entry.Stage), ("$why", entry.Reason),
            ("$arms", JsonSerializer.Serialize(entry.Arms.ToList(), StorageJson.Default.ListArmRecord)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RolloutEventRecord>> ListRolloutEventsAsync(string rolloutId, int limit, CancellationToken cancellationToken)
    {
        var newest = await ListAsync(
            "SELECT rollout_id, at_ms, actor, action, state, stage, reason, arms_json FROM rollout_events WHERE rollout_id = $r ORDER BY id DESC LIMIT $limit;",
            ReadEvent, cancellationToken, ("$r", rolloutId), ("$limit", limit));
        return [.. newest.Reverse()];
    }

    public Task<IReadOnlyList<HealthRecord>> ListDeviceHealthAsync(string deviceId, long sinceUnixMs, int limit, CancellationToken cancellationToken) =>
        ListAsync(
            "SELECT device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE device_id = $d AND at_ms >= $since ORDER BY at_ms DESC, id DESC LIMIT $limit;",
            r =>
            {
                var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
                AddCounts(buckets, r.GetValue(7));
                return new HealthRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), buckets, r.GetInt64(8), r.GetInt64(9), r.GetDouble(10));
            },
            cancellationToken,
            ("$d", deviceId),
            ("$since", sinceUnixMs),
            ("$limit", limit));

    internal static RolloutEventRecord ReadEvent(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5), r.GetString(6),
        JsonSerializer.Deserialize(r.GetString(7), StorageJson.Default.ListArmRecord) ?? []);

    /// <summary>The first hour the hourly roll-ups answer for (reports stored before they existed are read raw); read once.</summary>
    private long HourlyFrom(SqliteConnection connection, SqliteTransaction tx)
    {
        if (_hourlyFrom is { } known)
        {
            return known;
        }

        using var command = Command(connection, "SELECT value FROM health_rollup_meta WHERE name = 'from_hour';");
        command.Transaction = tx;
        var value = command.ExecuteScalar() is long v ? v : 0;
        _hourlyFrom = value;
        return value;
    }

    private async Task RollUpHealthAsync(SqliteConnection connection, SqliteTransaction tx, IEnumerable<HealthRecord> reports, CancellationToken cancellationToken)
    {
        foreach (var ((model, version, shadow, hour), add) in HourlySums.GroupHealth(reports, HourlyFrom(connection, tx)))
        {
            var sum = new HourlySums.Health();
            await using (var read = Command(connection, "SELECT requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_hourly WHERE model = $m AND version = $v AND shadow = $s AND hour = $h;",
                ("$m", model), ("$v", version), ("$s", shadow ? 1 : 0), ("$h", hour)))
            {
                read.Transaction = tx;
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    sum.Add(reader.GetInt64(0), reader.GetInt64(1), MemoryMarshal.Cast<byte, long>((byte[])reader.GetValue(2)).ToArray(), reader.GetInt64(3), reader.GetInt64(4), reader.GetDouble(5));
                }
            }

            sum.Add(add.Requests, add.Errors, add.Buckets, add.GroundTruth, add.Correct, add.AbsErrorSum);
            await using var write = Command(connection, "INSERT OR REPLACE INTO health_hourly VALUES ($m, $v, $s, $h, $n, $e, $b, $gt, $c, $abs);",
                ("$m", model), ("$v", version), ("$s", shadow ? 1 : 0), ("$h", hour), ("$n", sum.Requests), ("$e", sum.Errors), ("$b", ToBlob(sum.Buckets)),
                ("$gt", sum.GroundTruth), ("$c", sum.Correct), ("$abs", sum.AbsErrorSum));
            write.Transaction = tx;
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task RollUpDriftAsync(SqliteConnection connection, SqliteTransaction tx, IEnumerable<DriftRecord> records, CancellationToken cancellationToken)
    {
        foreach (var ((model, version, hour, name, bins), counts, missing) in HourlySums.GroupDrift(records, HourlyFrom(connection, tx)))
        {
            var sum = new HourlySums.Drift();
            await using (var read = Command(connection, "SELECT name, counts, missing FROM drift_hourly WHERE model = $m AND version = $v AND hour = $h AND name = $n AND bins = $b;",
                ("$m", model), ("$v", version), ("$h", hour), ("$n", name), ("$b", bins)))
            {
                read.Transaction = tx;
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                if (await reader.ReadAsync(cancellationToken))
                {
                    sum.Add(name, MemoryMarshal.Cast<byte, long>((byte[])reader.GetValue(1)).ToArray(), reader.GetInt64(2));
                }
            }

            sum.Add(name, counts, missing);
            var (total, totalMissing) = sum.ByName[name];
            await using var write = Command(connection, "INSERT OR REPLACE INTO drift_hourly VALUES ($m, $v, $h, $n, $b, $c, $miss);",
                ("$m", model), ("$v", version), ("$h", hour), ("$n", name), ("$b", bins), ("$c", ToBlob(total)), ("$miss", totalMissing));
            write.Transaction = tx;
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Retention for the roll-ups: whole hours before the cutoff go; the hour it falls inside is rebuilt from the reports it keeps.</summary>
    private async Task PruneHourlyAsync(SqliteConnection connection, SqliteTransaction tx, long beforeUnixMs, CancellationToken cancellationToken)
    {
        var cut = beforeUnixMs / HourlySums.HourMs;
        var partial = beforeUnixMs % HourlySums.HourMs != 0;
        foreach (var table in (string[])["health_hourly", "drift_hourly"])
        {
            await using var command = Command(connection, $"DELETE FROM {table} WHERE hour < $cut OR (hour = $cut AND $partial);", ("$cut", cut), ("$partial", partial));
            command.Transaction = tx;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        if (!partial || cut < HourlyFrom(connection, tx))
        {
            return;
        }

        var (from, to) = (cut * HourlySums.HourMs, (cut + 1) * HourlySums.HourMs);
        await RollUpHealthAsync(connection, tx, await ListAsync(
            "SELECT device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE at_ms >= $from AND at_ms < $to ORDER BY id;",
            r => new HealthRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                MemoryMarshal.Cast<byte, long>((byte[])r.GetValue(7)).ToArray(), r.GetInt64(8), r.GetInt64(9), r.GetDouble(10)),
            connection, tx, cancellationToken, ("$from", from), ("$to", to)), cancellationToken);
        await RollUpDriftAsync(connection, tx, await ListAsync(
            "SELECT device_id, model, version, at_ms, name, counts, missing FROM drift_counts WHERE at_ms >= $from AND at_ms < $to ORDER BY id;",
            r => new DriftRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), MemoryMarshal.Cast<byte, long>((byte[])r.GetValue(5)).ToArray(), r.GetInt64(6)),
            connection, tx, cancellationToken, ("$from", from), ("$to", to)), cancellationToken);
    }

    private static async Task<List<T>> ListAsync<T>(string sql, Func<DbDataReader, T> read, SqliteConnection connection, SqliteTransaction tx, CancellationToken cancellationToken, params (string, object)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        command.Transaction = tx;
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
