using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// Receives device outbox batches (MessagePack records) and stores each once. A batch is decoded and checked whole
/// before anything of it is stored, so a malformed record rejects its batch with the batch id and record index and
/// leaves earlier batches of the stream stored (and safe to resend). Predictions count only for versions the device's
/// assignment gives it, and each device has a per-minute quota of records and bytes (<see cref="TelemetryQuota"/>).
/// </summary>
internal sealed class TelemetryServiceImpl(
    Auth auth,
    ITelemetryStore telemetry,
    PackageFacts facts,
    UpdateServerOptions options,
    TimeProvider time,
    ServerMetrics metrics,
    DeviceAssignments assignments,
    TelemetryQuota quota)
    : TelemetryService.TelemetryServiceBase
{
    public override async Task<IngestResponse> Ingest(IAsyncStreamReader<TelemetryBatch> requestStream, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        var response = new IngestResponse();
        var entitled = await assignments.EntitledAsync(device, context.CancellationToken).ConfigureAwait(false);
        await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrEmpty(batch.BatchId) || batch.BatchId.Length > 128 || batch.BatchId.Any(char.IsControl))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "batch_id must be 1-128 characters, none of them control characters."));
            }

            if (batch.Records.Count > options.MaxTelemetryBatchRecords)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Batch {batch.BatchId} has {batch.Records.Count} records; at most {options.MaxTelemetryBatchRecords} are accepted."));
            }

            long bytes = 0;
            foreach (var r in batch.Records)
            {
                bytes += r.Payload.Length;
            }

            if (quota.TryTake(device.Record.DeviceId, batch.Records.Count, bytes, time.GetUtcNow().ToUnixTimeMilliseconds()) is { } over)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Batch {batch.BatchId}: {over}; the batch was not stored."));
            }

            var started = time.GetTimestamp();
            using var span = ServerTracing.Start("edgedeploy.telemetry.batch");
            span?.SetTag("edgedeploy.records", batch.Records.Count);
            var record = await DecodeAsync(device.Record.DeviceId, entitled, batch, context.CancellationToken).ConfigureAwait(false);
            if (await telemetry.StoreBatchAsync(record, time.GetUtcNow().ToUnixTimeMilliseconds(), context.CancellationToken).ConfigureAwait(false))
            {
                response.RecordsStored += batch.Records.Count;
                metrics.Ingested(batch.Records.Count, time.GetElapsedTime(started));
            }
            else
            {
                response.DuplicateBatches++;
            }

            response.Acknowledged.Add(batch.BatchId);
        }

        return response;
    }

    private async Task<TelemetryBatchRecord> DecodeAsync(string deviceId, IReadOnlyList<AssignedVersion> entitled, TelemetryBatch batch, CancellationToken cancellationToken)
    {
        var predictions = new List<IngestedPrediction>(batch.Records.Count);
        var groundTruth = new List<IngestedGroundTruth>();
        var manifests = new Dictionary<(string, string), PackageManifest?>(); // per batch: one lookup per version, not per record
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var r = batch.Records[i];
            try
            {
                switch ((TelemetryRecordKind)r.Kind)
                {
                    case TelemetryRecordKind.Prediction:
                        // The model and version are read first only to pick the label output; the summary skips the tensors.
                        var (model, version) = PeekVersion(r.Payload.Memory);
                        if (!DeviceAssignments.Gives(entitled, model, version))
                        {
                            throw new RpcException(new Status(StatusCode.PermissionDenied,
                                $"Batch {batch.BatchId} record {i}: device {deviceId} is not assigned {DeviceText.Printable(model)} {DeviceText.Printable(version)}; telemetry counts only for versions a device's assignment gives it, and the batch was not stored."));
                        }

                        if (!manifests.TryGetValue((model, version), out var manifest))
                        {
                            manifests[(model, version)] = manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false);
                        }

                        var p = TelemetryCodec.ReadPredictionSummary(r.Payload.Memory, manifest?.Confidence.Output);
                        if (string.IsNullOrEmpty(p.Model) || string.IsNullOrEmpty(p.Version) || !double.IsFinite(p.LatencyMicros) || p.LatencyMicros < 0)
                        {
                            throw new FormatException("a prediction needs a model, a version and a finite, non-negative latency");
                        }

                        if (manifest?.ModelCard.Slices.Count is { } sliceCount && sliceCount < 64 && p.Slices >> sliceCount != 0)
                        {
                            throw new FormatException($"slice mask 0x{p.Slices:x} names slices beyond the {manifest.ModelCard.Slices.Count} of {model} {version}'s model card");
                        }

                        var (raw, expires) = RawInputs(r.Payload.Memory, manifest, model, version, p.TimestampMs);
                        var evidence = TelemetryEvidenceRules.Evidence(r.Payload.Memory);
                        predictions.Add(new IngestedPrediction(p.PredictionId, p.Model, p.Version, p.TimestampMs, p.LatencyMicros, p.Shadow, p.InputValues, p.InputMissing, p.Predicted, p.Slices, raw, expires, evidence));
                        break;
                    case TelemetryRecordKind.GroundTruth:
                        var g = TelemetryCodec.DecodeGroundTruth(r.Payload.Memory);
                        var truth = TelemetryEvidenceRules.Truth(g, r.Payload.Memory);
                        groundTruth.Add(new IngestedGroundTruth(g.PredictionId, g.Label, g.TimestampMs, truth));
                        break;
                    default:
                        throw new FormatException($"unknown record kind {r.Kind}");
                }
            }
            catch (Exception ex) when (ex is FormatException or MessagePack.MessagePackSerializationException or EdgeException or InvalidOperationException or ArgumentException or EndOfStreamException)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Batch {batch.BatchId} record {i}: {ex.Message}; the batch was not stored."));
            }
        }

        return new TelemetryBatchRecord(deviceId, batch.BatchId, predictions, groundTruth);
    }

    /// <summary>
    /// A record's raw inputs, checked: only for a version whose model card allows them (the device's recorder honours the
    /// card; this refuses a device that does not), within <see cref="UpdateServerOptions.MaxRawInputBytes"/>. They expire
    /// after the card's retention days (the telemetry retention prunes them earlier when it is shorter).
    /// </summary>
    private (byte[]? Raw, long ExpiresMs) RawInputs(ReadOnlyMemory<byte> payload, PackageManifest? manifest, string model, string version, long timestampMs)
    {
        var raw = TelemetryCodec.ReadRawInputs(payload);
        if (raw.IsEmpty)
        {
            return (null, long.MaxValue);
        }

        if (manifest is null || !manifest.ModelCard.AllowsRawInputs())
        {
            throw new FormatException($"the record carries raw inputs, but the model card of {DeviceText.Printable(model)} {DeviceText.Printable(version)} does not allow recording them (privacy.rawInputs)");
        }

        if (raw.Length > options.MaxRawInputBytes)
        {
            throw new FormatException($"its raw inputs are {raw.Length} bytes; at most {options.MaxRawInputBytes} are accepted per record (EdgeDeploy:MaxRawInputBytes)");
        }

        var days = manifest.ModelCard.Privacy?.RetentionDays;
        return (raw.ToArray(), days is { } d ? timestampMs + (d * 86_400_000L) : long.MaxValue);
    }

    /// <summary>Model and version of a prediction record (its 2nd and 3rd fields), without decoding the rest.</summary>
    private static (string Model, string Version) PeekVersion(ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePack.MessagePackReader(payload);
        if (reader.ReadArrayHeader() is not (>= 8 and <= 11))
        {
            throw new FormatException("not a prediction record");
        }

        reader.Skip();
        return (reader.ReadString() ?? string.Empty, reader.ReadString() ?? string.Empty);
    }
}
