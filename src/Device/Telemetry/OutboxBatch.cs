namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>A batch read from the outbox, to send and then acknowledge.</summary>
/// <param name="FirstId">Lowest record id in the batch.</param>
/// <param name="LastId">Highest record id; <see cref="TelemetryRecorder.Acknowledge"/> deletes up to it.</param>
/// <param name="Records">The records, oldest first.</param>
public sealed record OutboxBatch(long FirstId, long LastId, IReadOnlyList<OutboxRecord> Records)
{
    /// <summary>A stable id for this batch: a resend after a crash carries the same id, so the server can store it once.</summary>
    public string BatchId => $"{FirstId}-{LastId}";
}
