namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// The outcome of one delivery attempt, saved on the outbox row: its new <paramref name="State"/>, the attempts made so
/// far, when the next one is due (pending only), the receiver's HTTP status (0: no answer) and the error, if any.
/// </summary>
public sealed record WebhookAttempt(string DeliveryId, string State, int Attempts, long NextAttemptUnixMs, int LastStatus, string LastError, long? DeliveredUnixMs);
