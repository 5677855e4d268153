using System.Text.Json;
using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Rollout history, per-device health, and the hourly health and drift roll-ups (<see cref="HourlySums"/>).</summary>
internal sealed partial class PostgresUpdateStore
{
    private const string RawHealth = "SELECT requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE model = $1 AND version = $2 AND shadow = $3 AND at_ms >= $4 AND at_ms < $5;";

    private const string HourlyHealth = "SELECT requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_hourly WHERE model = $1 AND version = $2 AND shadow = $3 AND hour >= $4 AND hour < $5;";

    private const string RawDrift = "SELECT name, counts, missing FROM drift_counts WHERE model = $1 AND version = $2 AND at_ms >= $3 AND at_ms < $4 ORDER BY id;";

    private const string HourlyDrift = "SELECT name, counts, missing FROM drift_hourly WHERE model = $1 AND version = $2 AND hour >= $3 AND hour < $4 ORDER BY hour, name, bins;";

    /// <summary>Adds one array to another element by element (the shorter one's missing elements count 0).</summary>
    private const string AddArrays = "ARRAY(SELECT COALESCE(a, 0) + COALESCE(b, 0) FROM unnest({0}, EXCLUDED.{1}) AS u(a, b))";

    private long? _hourlyFrom;

    public async Task AddRolloutEventAsync(RolloutEventRecord entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = Command("INSERT INTO rollout_events (rollout_id, at_ms, actor, action, state, stage, reason, arms_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8);",
            entry.RolloutId, entry.AtUnixMs, entry.Actor, entry.Action, entry.State, entry.Stage, entry.Reason, JsonSerializer.Serialize(entry.Arms.ToList(), StorageJson.Default.ListArmRecord));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RolloutEventRecord>> ListRolloutEventsAsync(string rolloutId, int limit, CancellationToken cancellationToken)
    {
        var newest = await ListAsync(
            "SELECT rollout_id, at_ms, actor, action, state, stage, reason, arms_json FROM rollout_events WHERE rollout_id = $1 ORDER BY id DESC LIMIT $2;",
            SqliteUpdateStore.ReadEvent, cancellationToken, rolloutId, limit).ConfigureAwait(false);
        return [.. newest.Reverse()];
    }

    public Task<IReadOnlyList<HealthRecord>> ListDeviceHealthAsync(string deviceId, long sinceUnixMs, int limit, CancellationToken cancellationToken) =>
        ListAsync(
            "SELECT device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE device_id = $1 AND at_ms >= $2 ORDER BY at_ms DESC, id DESC LIMIT $3;",
            r =>
            {
                var buckets = new long[EdgeDeploy.Runtime.Telemetry.LatencyHistogram.BucketCount];
                var stored = r.GetFieldValue<long[]>(7);
                Array.Copy(stored, buckets, Math.Min(stored.Length, buckets.Length));
                return new HealthRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), buckets, r.GetInt64(8), r.GetInt64(9), r.GetDouble(10));
            },
            cancellationToken,
            deviceId,
            sinceUnixMs,
            limit);

    /// <summary>The first hour the hourly roll-ups answer for (reports stored before they existed are read raw); read once.</summary>
    private async Task<long> HourlyFromAsync(CancellationToken cancellationToken)
    {
        if (_hourlyFrom is { } known)
        {
            return known;
        }

        await using var command = Command("SELECT value FROM health_rollup_meta WHERE name = 'from_hour';");
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long v ? v : 0;
        _hourlyFrom = value;
        return value;
    }

    /// <summary>Upserts that add the reports to their hourly rows, in key order (concurrent transactions lock rows in one order).</summary>
    private static void AddHealthRollups(NpgsqlBatch batch, IEnumerable<HealthRecord> reports, long fromHour)
    {
        foreach (var ((model, version, shadow, hour), sum) in HourlySums.GroupHealth(reports, fromHour))
        {
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO health_hourly AS t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (model, version, shadow, hour) DO UPDATE SET " +
                "requests = t.requests + EXCLUDED.requests, errors = t.errors + EXCLUDED.errors, latency_buckets = " + string.Format(System.Globalization.CultureInfo.InvariantCulture, AddArrays, "t.latency_buckets", "latency_buckets") + ", " +
                "ground_truth = t.ground_truth + EXCLUDED.ground_truth, correct = t.correct + EXCLUDED.correct, abs_error_sum = t.abs_error_sum + EXCLUDED.abs_error_sum;",
                model, version, shadow, hour, sum.Requests, sum.Errors, sum.Buckets, sum.GroundTruth, sum.Correct, sum.AbsErrorSum));
        }
    }

    private static void AddDriftRollups(NpgsqlBatch batch, IEnumerable<DriftRecord> records, long fromHour)
    {
        foreach (var ((model, version, hour, name, bins), counts, missing) in HourlySums.GroupDrift(records, fromHour))
        {
            batch.BatchCommands.Add(BatchCommand(
                "INSERT INTO drift_hourly AS t VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (model, version, hour, name, bins) DO UPDATE SET " +
                "counts = " + string.Format(System.Globalization.CultureInfo.InvariantCulture, AddArrays, "t.counts", "counts") + ", missing = t.missing + EXCLUDED.missing;",
                model, version, hour, name, bins, counts, missing));
        }
    }

    /// <summary>Retention for the roll-ups: whole hours before the cutoff go; the hour it falls inside is rebuilt from the reports it keeps.</summary>
    private async Task PruneHourlyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long beforeUnixMs, CancellationToken cancellationToken)
    {
        var cut = beforeUnixMs / HourlySums.HourMs;
        var partial = beforeUnixMs % HourlySums.HourMs != 0;
        await using (var clear = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                // Writers of reports wait until this commits, so the rebuilt hour misses none and counts none twice.
                new NpgsqlBatchCommand("LOCK TABLE health_hourly, drift_hourly IN SHARE ROW EXCLUSIVE MODE;"),
                BatchCommand("DELETE FROM health_hourly WHERE hour < $1 OR (hour = $1 AND $2);", cut, partial),
                BatchCommand("DELETE FROM drift_hourly WHERE hour < $1 OR (hour = $1 AND $2);", cut, partial),
            },
        })
        {
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!partial || cut < await HourlyFromAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var health = new List<HealthRecord>();
        var drift = new List<DriftRecord>();
        await using (var read = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                BatchCommand("SELECT device_id, model, version, shadow, at_ms, requests, errors, latency_buckets, ground_truth, correct, abs_error_sum FROM health_reports WHERE at_ms >= $1 AND at_ms < $2 ORDER BY id;", cut * HourlySums.HourMs, (cut + 1) * HourlySums.HourMs),
                BatchCommand("SELECT device_id, model, version, at_ms, name, counts, missing FROM drift_counts WHERE at_ms >= $1 AND at_ms < $2 ORDER BY id;", cut * HourlySums.HourMs, (cut + 1) * HourlySums.HourMs),
            },
        })
        {
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                health.Add(new HealthRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    reader.GetFieldValue<long[]>(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetDouble(10)));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                drift.Add(new DriftRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetFieldValue<long[]>(5), reader.GetInt64(6)));
            }
        }

        await using var write = new NpgsqlBatch(connection, tx);
        AddHealthRollups(write, health, 0);
        AddDriftRollups(write, drift, 0);
        if (write.BatchCommands.Count > 0)
        {
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
