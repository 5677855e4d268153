using Npgsql;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Webhooks and their delivery outbox (PostgreSQL).</summary>
internal sealed partial class PostgresUpdateStore
{
    private const string DeliveryColumns = "id, webhook_id, event_type, alert_id, payload, state, attempts, created_ms, next_attempt_ms, last_status, last_error, delivered_ms";

    public async Task AddWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        await using var command = Command("INSERT INTO webhooks VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);",
            webhook.Id, webhook.Url, webhook.SecretCiphertext, StoreRows.ToJson(webhook.EventTypes), StoreRows.ToJson(webhook.Models), StoreRows.ToJson(webhook.Metrics),
            webhook.Description, webhook.CreatedBy, webhook.CreatedUnixMs);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<WebhookRecord>> ListWebhooksAsync(CancellationToken cancellationToken) =>
        ListAsync("SELECT id, url, secret, event_types_json, models_json, metrics_json, description, created_by, created_ms FROM webhooks ORDER BY created_ms, id;", StoreRows.ReadWebhook, cancellationToken);

    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                BatchCommand("DELETE FROM webhooks WHERE id = $1;", id),
                BatchCommand("DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending';", id),
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return batch.BatchCommands[0].RecordsAffected == 1;
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> ListDueWebhookDeliveriesAsync(long nowUnixMs, int limit, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_ms <= $1 ORDER BY next_attempt_ms, seq LIMIT $2;",
            StoreRows.ReadWebhookDelivery, cancellationToken, nowUnixMs, limit);

    public async Task<bool> RecordWebhookAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        await using var command = Command(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_ms = $3, last_status = $4, last_error = $5, delivered_ms = $6 WHERE id = $7 AND state = 'pending';",
            attempt.State, attempt.Attempts, attempt.NextAttemptUnixMs, attempt.LastStatus, attempt.LastError, attempt.DeliveredUnixMs is { } at ? (object)at : DBNull.Value, attempt.DeliveryId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> ListWebhookDeliveriesAsync(string webhookId, bool deadOnly, int limit, CancellationToken cancellationToken) =>
        ListAsync($"SELECT {DeliveryColumns} FROM webhook_deliveries WHERE ($1 = '' OR webhook_id = $1) AND (NOT $2 OR state = 'dead') ORDER BY seq DESC LIMIT $3;",
            StoreRows.ReadWebhookDelivery, cancellationToken, webhookId, deadOnly, limit);

    public Task<WebhookDeliveryRecord?> RedeliverWebhookAsync(string deliveryId, long nowUnixMs, CancellationToken cancellationToken) =>
        SingleAsync(
            $"""
            UPDATE webhook_deliveries SET state = 'pending', attempts = 0, created_ms = $2, next_attempt_ms = $2, last_status = 0, last_error = '', delivered_ms = NULL
            WHERE id = $1 AND state <> 'pending' AND webhook_id IN (SELECT id FROM webhooks) RETURNING {DeliveryColumns};
            """,
            StoreRows.ReadWebhookDelivery,
            cancellationToken,
            deliveryId,
            nowUnixMs);

    private static void AddEnqueue(NpgsqlBatch batch, IReadOnlyList<WebhookDeliveryRecord> notifications)
    {
        foreach (var d in notifications)
        {
            batch.BatchCommands.Add(BatchCommand($"INSERT INTO webhook_deliveries ({DeliveryColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL);",
                d.Id, d.WebhookId, d.EventType, d.AlertId, d.Payload, d.State, d.Attempts, d.CreatedUnixMs, d.NextAttemptUnixMs, d.LastStatus, d.LastError));
        }
    }
}
