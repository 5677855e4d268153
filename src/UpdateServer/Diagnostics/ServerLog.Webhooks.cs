namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>Log events of alert webhooks (ids 560-569). Secrets and payload signatures are never logged.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 560, EventName = "WebhookDelivered", Level = LogLevel.Information, Message = "Webhook {WebhookId} accepted {EventType} message {DeliveryId} (attempt {Attempt}, HTTP {Status})")]
    public static partial void WebhookDelivered(ILogger logger, string webhookId, string eventType, string deliveryId, int attempt, int status);

    [LoggerMessage(EventId = 561, EventName = "WebhookFailed", Level = LogLevel.Warning, Message = "Webhook {WebhookId} did not accept message {DeliveryId} (attempt {Attempt}): {Reason}; next attempt at {NextAttempt:o}")]
    public static partial void WebhookFailed(ILogger logger, string webhookId, string deliveryId, int attempt, string reason, DateTimeOffset nextAttempt);

    [LoggerMessage(EventId = 562, EventName = "WebhookDeadLettered", Level = LogLevel.Error, Message = "Webhook {WebhookId} message {DeliveryId} is a dead letter after {Attempts} attempts: {Reason} (edge webhook redeliver {DeliveryId})")]
    public static partial void WebhookDeadLettered(ILogger logger, string webhookId, string deliveryId, int attempts, string reason);

    [LoggerMessage(EventId = 563, EventName = "WebhookDispatchFailed", Level = LogLevel.Error, Message = "Webhook dispatch round failed; the next round retries: {Reason}")]
    public static partial void WebhookDispatchFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 564, EventName = "WebhookChanged", Level = LogLevel.Information, Message = "Webhook {WebhookId} ({Url}) {Change} by {Operator}")]
    public static partial void WebhookChanged(ILogger logger, string webhookId, string url, string change, string @operator);
}
