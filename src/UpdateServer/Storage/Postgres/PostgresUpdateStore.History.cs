using System.Text.Json;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Rollout history and per-device health (the console's rollout timeline and device page).</summary>
internal sealed partial class PostgresUpdateStore
{
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
}
