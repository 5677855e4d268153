using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>Hand-made iris-classifier 1.0.0 telemetry records and batches, ingested over the server's real gRPC stream.</summary>
internal static class TelemetryFixture
{
    /// <summary>A fixed device clock reading for records whose time does not matter.</summary>
    public const long DefaultTimestampMs = 1_800_000_000_000;

    public static TelemetryBatch Batch(string id, params Rec[] records)
    {
        var batch = new TelemetryBatch { BatchId = id };
        batch.Records.AddRange(records.Select(r => new TelemetryPayload { Kind = (int)r.Kind, Payload = ByteString.CopyFrom(r.Payload) }));
        return batch;
    }

    public static Rec Prediction(double latencyMicros, long label, int missing = 0, bool shadow = false, ulong slices = 0, long timestampMs = DefaultTimestampMs, IReadOnlyDictionary<string, EdgeTensor>? rawInputs = null, string version = "1.0.0", IReadOnlyDictionary<string, EdgeTensor>? evidence = null)
    {
        var id = Guid.NewGuid();
        var record = new PredictionRecord(id, "iris-classifier", version, timestampMs, latencyMicros, shadow,
            [new InputSummary("features", [1, 4], 4, missing, 1, 5, 3)],
            new Dictionary<string, EdgeTensor> { ["label"] = EdgeTensor.Create([label], [1]), ["probabilities"] = EdgeTensor.Create([0.2f, 0.3f, 0.5f], [1, 3]) },
            slices) { RawInputs = rawInputs, Evidence = evidence };
        return new Rec(TelemetryRecordKind.Prediction, TelemetryCodec.Encode(record), id);
    }

    public static Rec GroundTruth(double label, Rec? prediction = null) =>
        new(TelemetryRecordKind.GroundTruth, TelemetryCodec.Encode(new GroundTruthRecord(prediction?.Id ?? Guid.NewGuid(), label, DefaultTimestampMs + 100)), Guid.Empty);

    /// <summary>Structured ground truth (<see cref="GroundTruthRecord.Truth"/>) for a prediction; the label NaN unless given.</summary>
    public static Rec Truth(IReadOnlyDictionary<string, EdgeTensor> truth, Rec prediction, double label = double.NaN) =>
        new(TelemetryRecordKind.GroundTruth, TelemetryCodec.Encode(new GroundTruthRecord(prediction.Id, label, DefaultTimestampMs + 100) { Truth = truth }), Guid.Empty);

    /// <summary>Streams one batch; a refusal surfaces as the call's <see cref="RpcException"/>.</summary>
    public static async Task<IngestResponse> IngestAsync(UpdateServerHost server, Metadata headers, TelemetryBatch batch)
    {
        using var call = server.Telemetry.Ingest(headers, deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // refused early; the status is in the response
        }

        return await call;
    }

    public sealed record Rec(TelemetryRecordKind Kind, byte[] Payload, Guid Id);
}
