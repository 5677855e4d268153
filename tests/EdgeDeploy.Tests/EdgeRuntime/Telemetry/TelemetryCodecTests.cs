using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Tests.EdgeRuntime.Telemetry;

public sealed class TelemetryCodecTests
{
    private static readonly PredictionRecord Record = new(
        Guid.Parse("0d9f3b1c-5a55-4c7e-9b7a-1f2e3d4c5b6a"), "iris-classifier", "2.0.0", 1_800_000_000_123, 42.5, Shadow: true,
        [new InputSummary("features", [1, 4], 4, 1, 0.2, 6.9, 3.1), new InputSummary("extra", [1, 2], 2, 0, 0, 1, 0.5)],
        new Dictionary<string, EdgeTensor>
        {
            ["probabilities"] = EdgeTensor.Create([0.1f, 0.7f, 0.2f], [1, 3]),
            ["label"] = EdgeTensor.Create([2L], [1]),
        });

    [Fact]
    public void ReadPredictionSummary_NamedLabelOutput_MatchesTheFullDecode()
    {
        var bytes = TelemetryCodec.Encode(Record);

        var summary = TelemetryCodec.ReadPredictionSummary(bytes, "label");
        var full = TelemetryCodec.DecodePrediction(bytes);

        Assert.Equal(new PredictionSummary(full.PredictionId, full.Model, full.Version, full.TimestampMs, full.LatencyMicros, full.Shadow, 6, 1, 2), summary);
    }

    [Fact]
    public void ReadPredictionSummary_OtherOutputNamedOrNone_ReadsThatOrTheFirstNumericOutput()
    {
        var bytes = TelemetryCodec.Encode(Record);

        var scores = TelemetryCodec.ReadPredictionSummary(bytes, "probabilities");
        var unnamed = TelemetryCodec.ReadPredictionSummary(bytes, labelOutput: null);

        Assert.Equal(1, scores.Predicted);  // argmax of 0.1, 0.7, 0.2
        Assert.Equal(2, unnamed.Predicted); // outputs are written in name order, so "label" is the first
    }

    [Fact]
    public void ReadPredictionSummary_NotARecord_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<EdgeException>(() => TelemetryCodec.ReadPredictionSummary(new byte[] { 0x93, 0x01, 0x02 }, "label"));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.StartsWith("Not a valid PredictionRecord", ex.Message);
    }
}
