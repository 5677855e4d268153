namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>One prediction as an export reads it, with its ground truth and raw inputs where the store has them.</summary>
/// <param name="PredictionId">The device's prediction id.</param>
/// <param name="DeviceId">Device that served it.</param>
/// <param name="TimestampMs">When it was served (Unix ms).</param>
/// <param name="Predicted">The predicted class or value (NaN when no output gave one).</param>
/// <param name="Slices">Model-card slice bits.</param>
/// <param name="Label">Ground truth, or null.</param>
/// <param name="RawInputs">Encoded raw input tensors (<c>TelemetryCodec.DecodeTensors</c>), or null.</param>
/// <param name="Cursor">Where the next page starts (pass it as <c>after</c>).</param>
public sealed record PredictionExportRow(Guid PredictionId, string DeviceId, long TimestampMs, double Predicted, ulong Slices, double? Label, byte[]? RawInputs, ExportCursor Cursor);
