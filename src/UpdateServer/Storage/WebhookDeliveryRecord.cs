namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// One message in the webhook outbox: <paramref name="Id"/> is the <c>webhook-id</c> header (the same on every attempt,
/// so receivers de-duplicate by it), <paramref name="Payload"/> the exact JSON body that is signed and sent.
/// <paramref name="State"/> is <see cref="Pending"/> (due at <paramref name="NextAttemptUnixMs"/>), <see cref="Delivered"/>
/// or <see cref="Dead"/> (attempts or age ran out: the dead letter, redeliverable).
/// </summary>
public sealed record WebhookDeliveryRecord(
    string Id,
    string WebhookId,
    string EventType,
    string AlertId,
    string Payload,
    string State,
    int Attempts,
    long CreatedUnixMs,
    long NextAttemptUnixMs,
    int LastStatus,
    string LastError,
    long? DeliveredUnixMs)
{
    public const string Pending = "pending";

    public const string Delivered = "delivered";

    public const string Dead = "dead";

    /// <summary>A new pending message, due at once.</summary>
    public static WebhookDeliveryRecord New(string id, string webhookId, string eventType, string alertId, string payload, long nowUnixMs) =>
        new(id, webhookId, eventType, alertId, payload, Pending, 0, nowUnixMs, nowUnixMs, 0, string.Empty, null);
}
