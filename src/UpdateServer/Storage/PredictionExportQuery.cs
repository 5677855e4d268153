namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Which served predictions of one version an export reads (shadow runs never).</summary>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version that served them.</param>
/// <param name="FromUnixMs">Prediction timestamps from (inclusive).</param>
/// <param name="ToUnixMs">Prediction timestamps to (exclusive).</param>
/// <param name="SliceMask">Only predictions tagged with at least one of these model-card slice bits; 0: any.</param>
/// <param name="IncludeUnlabelled">Also predictions without ground truth.</param>
/// <param name="RawInputsOnly">Only predictions whose raw inputs were recorded (and not yet expired).</param>
/// <param name="NowUnixMs">The time raw inputs are judged expired at (their card's retention days).</param>
public sealed record PredictionExportQuery(string Model, string Version, long FromUnixMs, long ToUnixMs, ulong SliceMask, bool IncludeUnlabelled, bool RawInputsOnly, long NowUnixMs);
