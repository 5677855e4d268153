using Microsoft.Data.Sqlite;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Webhooks and their delivery outbox (SQLite).</summary>
internal sealed partial class SqliteUpdateStore
{
    private const string WebhookMigration = """
        CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, event_types_json TEXT NOT NULL,
            models_json TEXT NOT NULL, metrics_json TEXT NOT NULL, description TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL);
        CREATE TABLE webhook_deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, webhook_id TEXT NOT NULL,
            event_type TEXT NOT NULL, alert_id TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
            created_ms INTEGER NOT NULL, next_attempt_ms INTEGER NOT NULL, last_status INTEGER NOT NULL, last_error TEXT NOT NULL, delivered_ms INTEGER);
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms);
        CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
        """;

    private const string DeliveryColumns = "id, webhook_id, event_type, alert_id, payload, state, attempts, created_ms, next_attempt_ms, last_status, last_error, delivered_ms";

    public async Task AddWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        await using var connection = Open();
        await using var command = Command(connection, "INSERT INTO webhooks VALUES ($id, $url, $secret, $events, $models, $metrics, $description, $by, $at);",
            ("$id", webhook.Id), ("$url", webhook.Url), ("$secret", webhook.SecretCiphertext), ("$events", StoreRows.ToJson(webhook.EventTypes)),
            ("$models", StoreRows.ToJson(webhook.Models)), ("$metrics", StoreRows.ToJson(webhook.Metrics)), ("$description", webhook.Description),
            ("$by", webhook.CreatedBy), ("$at", webhook.CreatedUnixMs));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<IReadOnlyList<WebhookRecord>> ListWebhooksAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT id, url, secret, event_types_json, models_json, metrics_json, description, created_by, created_ms FROM webhooks ORDER BY created_ms, id;", StoreRows.ReadWebhook, cancellationToken);

    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var delete = Command(connection, "DELETE FROM webhooks WHERE id = $id;", ("$id", id));
        await using var pending = Command(connection, "DELETE FROM webhook_deliveries WHERE webhook_id = $id AND state = 'pending';", ("$id", id));
        delete.Transaction = pending.Transaction = tx;
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
        await pending.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> ListDueWebhookDeliveriesAsync(long nowUnixMs, int limit, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_ms <= $now ORDER BY next_attempt_ms, seq LIMIT $limit;",
            StoreRows.ReadWebhookDelivery, cancellationToken, ("$now", nowUnixMs), ("$limit", limit));

    public async Task<bool> RecordWebhookAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        await using var connection = Open();
        await using var command = Command(connection,
            "UPDATE webhook_deliveries SET state = $state, attempts = $attempts, next_attempt_ms = $next, last_status = $status, last_error = $error, delivered_ms = $delivered WHERE id = $id AND state = 'pending';",
            ("$state", attempt.State), ("$attempts", attempt.Attempts), ("$next", attempt.NextAttemptUnixMs), ("$status", attempt.LastStatus), ("$error", attempt.LastError),
            ("$delivered", attempt.DeliveredUnixMs is { } at ? (object)at : DBNull.Value), ("$id", attempt.DeliveryId));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> ListWebhookDeliveriesAsync(string webhookId, bool deadOnly, int limit, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE ($webhook = '' OR webhook_id = $webhook) AND ($dead = 0 OR state = 'dead') ORDER BY seq DESC LIMIT $limit;",
            StoreRows.ReadWebhookDelivery, cancellationToken, ("$webhook", webhookId), ("$dead", deadOnly ? 1 : 0), ("$limit", limit));

    public async Task<WebhookDeliveryRecord?> RedeliverWebhookAsync(string deliveryId, long nowUnixMs, CancellationToken cancellationToken)
    {
        await using (var connection = Open())
        {
            await using var command = Command(connection,
                """
                UPDATE webhook_deliveries SET state = 'pending', attempts = 0, created_ms = $now, next_attempt_ms = $now, last_status = 0, last_error = '', delivered_ms = NULL
                WHERE id = $id AND state <> 'pending' AND webhook_id IN (SELECT id FROM webhooks);
                """,
                ("$id", deliveryId), ("$now", nowUnixMs));
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        return await SingleAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE id = $id;", StoreRows.ReadWebhookDelivery, cancellationToken, ("$id", deliveryId));
    }

    private static async Task EnqueueAsync(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken)
    {
        foreach (var d in notifications)
        {
            await using var insert = Command(connection, $"INSERT INTO webhook_deliveries ({DeliveryColumns}) VALUES ($id, $webhook, $type, $alert, $payload, $state, $attempts, $created, $next, $status, $error, NULL);",
                ("$id", d.Id), ("$webhook", d.WebhookId), ("$type", d.EventType), ("$alert", d.AlertId), ("$payload", d.Payload), ("$state", d.State),
                ("$attempts", d.Attempts), ("$created", d.CreatedUnixMs), ("$next", d.NextAttemptUnixMs), ("$status", d.LastStatus), ("$error", d.LastError));
            insert.Transaction = tx;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
