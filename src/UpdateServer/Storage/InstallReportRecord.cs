namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A device's report of installing an assigned version.</summary>
/// <param name="DeviceId">The reporting device.</param>
/// <param name="RolloutId">The rollout that assigned the version.</param>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version installed (or refused).</param>
/// <param name="Success">Whether it installed.</param>
/// <param name="Reason">Why not (or "installed").</param>
/// <param name="AtUnixMs">When the server received the report.</param>
/// <param name="GateJson">What the device's gate measured (load and peak memory, latency, metrics, device class), as the
/// proto3 JSON of <c>GateFigures</c>; empty when the report carried none.</param>
public sealed record InstallReportRecord(string DeviceId, string RolloutId, string Model, string Version, bool Success, string Reason, long AtUnixMs, string GateJson = "");
