using System.Data.Common;
using System.Text.Json;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Rollout history and per-device health (the console's rollout timeline and device page).</summary>
internal sealed partial class SqliteUpdateStore
{
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
}
