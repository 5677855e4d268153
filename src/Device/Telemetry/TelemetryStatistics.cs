namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Counters of a <see cref="TelemetryRecorder"/>.</summary>
/// <param name="Recorded">Records accepted into the queue.</param>
/// <param name="SampledOut">Predictions skipped by the sample rate.</param>
/// <param name="DroppedInMemory">Records dropped because the in-memory queue was full.</param>
/// <param name="DroppedFromOutbox">Oldest records dropped because the outbox was full (persisted).</param>
/// <param name="Pending">Records in the outbox waiting for acknowledgement.</param>
/// <param name="Acknowledged">Records acknowledged and removed (persisted).</param>
public sealed record TelemetryStatistics(long Recorded, long SampledOut, long DroppedInMemory, long DroppedFromOutbox, long Pending, long Acknowledged);
