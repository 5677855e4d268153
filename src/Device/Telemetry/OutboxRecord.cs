namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>One outbox record.</summary>
/// <param name="Id">Outbox sequence number.</param>
/// <param name="Kind">What the payload is.</param>
/// <param name="Payload">MessagePack bytes (<see cref="TelemetryCodec"/>).</param>
public sealed record OutboxRecord(long Id, TelemetryRecordKind Kind, byte[] Payload);
