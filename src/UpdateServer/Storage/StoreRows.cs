using System.Data.Common;
using System.Text.Json;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Rows to records and back, shared by the SQLite and PostgreSQL update stores: both select the same columns in the same
/// order, so a record reads the same from either backend.
/// </summary>
internal static class StoreRows
{
    /// <summary>The states devices follow, as stored: active, paused and completed.</summary>
    public static readonly string LiveStates = string.Join(", ", new[] { RolloutState.Active, RolloutState.Paused, RolloutState.Completed }.Select(st => $"'{st.Name()}'"));

    public static PackageRecord ReadPackage(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetString(5));

    public static DeviceRecord ReadDevice(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), FromJsonMap(r.GetString(2)), FromJsonList(r.GetString(3)), r.GetString(4), r.GetInt64(5), r.GetInt64(6)) { PreviousTokenHash = r.GetString(7), CertificateSha256 = r.GetString(8) };

    public static RolloutRecord ReadRollout(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), (RolloutStrategy)r.GetInt32(3), r.GetDouble(4), FromJsonMap(r.GetString(5)), FromJsonList(r.GetString(6)), RolloutStates.Parse(r.GetString(7)), r.GetInt64(8))
        {
            Stages = JsonSerializer.Deserialize(r.GetString(9), StorageJson.Default.ListDouble) ?? [100],
            Gates = r.GetString(10) is { Length: > 0 } gates ? JsonSerializer.Deserialize(gates, StorageJson.Default.RolloutGates)! : RolloutGates.Default,
            OnFailure = r.GetInt32(11),
            Arms = JsonSerializer.Deserialize(r.GetString(12), StorageJson.Default.ListArmRecord) ?? [],
            CurrentStage = r.GetInt32(13),
            StageStartedUnixMs = r.GetInt64(14),
            StateReason = r.GetString(15),
            BaselineVersion = r.GetString(16),
        };

    /// <summary>Columns: id, url, secret, event_types_json, models_json, metrics_json, description, created_by, created_ms.</summary>
    public static WebhookRecord ReadWebhook(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), FromJsonList(r.GetString(3)), FromJsonList(r.GetString(4)), FromJsonList(r.GetString(5)), r.GetString(6), r.GetString(7), r.GetInt64(8));

    /// <summary>Columns: id, webhook_id, event_type, alert_id, payload, state, attempts, created_ms, next_attempt_ms, last_status, last_error, delivered_ms.</summary>
    public static WebhookDeliveryRecord ReadWebhookDelivery(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetInt64(7), r.GetInt64(8), r.GetInt32(9), r.GetString(10), r.IsDBNull(11) ? null : r.GetInt64(11));

    public static string ToJson(IReadOnlyDictionary<string, string> map) => JsonSerializer.Serialize(map.ToDictionary(), StorageJson.Default.DictionaryStringString);

    public static string ToJson(IReadOnlyList<string> list) => JsonSerializer.Serialize(list.ToList(), StorageJson.Default.ListString);

    public static Dictionary<string, string> FromJsonMap(string json) => JsonSerializer.Deserialize(json, StorageJson.Default.DictionaryStringString) ?? [];

    public static List<string> FromJsonList(string json) => JsonSerializer.Deserialize(json, StorageJson.Default.ListString) ?? [];
}
