using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Tests.Packaging.Telemetry;

public sealed class TelemetryCodecTests
{
    private static readonly PredictionRecord Record = new(
        Guid.Parse("0d9f3b1c-5a55-4c7e-9b7a-1f2e3d4c5b6a"), "iris-classifier", "2.0.0", 1_800_000_000_123, 42.5, Shadow: true,
        [new InputSummary("features", [1, 4], 4, 1, 0.2, 6.9, 3.1), new InputSummary("extra", [1, 2], 2, 0, 0, 1, 0.5)],
        new Dictionary<string, EdgeTensor>
        {
            ["probabilities"] = EdgeTensor.Create([0.1f, 0.7f, 0.2f], [1, 3]),
            ["label"] = EdgeTensor.Create([2L], [1]),
        },
        Slices: 0b101);

    [Fact]
    public void ReadPredictionSummary_NamedLabelOutput_MatchesTheFullDecode()
    {
        var bytes = TelemetryCodec.Encode(Record);

        var summary = TelemetryCodec.ReadPredictionSummary(bytes, "label");
        var full = TelemetryCodec.DecodePrediction(bytes);

        Assert.Equal(new PredictionSummary(full.PredictionId, full.Model, full.Version, full.TimestampMs, full.LatencyMicros, full.Shadow, 6, 1, 2, 0b101), summary);
        Assert.Equal(0b101UL, full.Slices);
    }

    [Fact]
    public void ReadPredictionSummary_RecordFromBeforeSliceMasks_ReadsNoSlices()
    {
        // An 8-field record, as devices wrote before slice masks: the 9-field encoding of a record whose mask is 0 ends
        // with that 0 as one byte, so dropping it and the header's count gives the old layout.
        var current = TelemetryCodec.Encode(Record with { Slices = 0 });
        Assert.Equal(0x99, current[0]);
        Assert.Equal(0x00, current[^1]);
        byte[] legacy = [0x98, .. current.AsSpan(1, current.Length - 2)];

        var summary = TelemetryCodec.ReadPredictionSummary(legacy, "label");
        var full = TelemetryCodec.DecodePrediction(legacy);

        Assert.Equal((0UL, 2.0, 6L), (summary.Slices, summary.Predicted, summary.InputValues));
        Assert.Equal((0UL, "2.0.0"), (full.Slices, full.Version));
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

    [Fact]
    public void Encode_EvidenceWithoutRawInputs_RoundTripsAndReadsAlone()
    {
        var evidence = new Dictionary<string, EdgeTensor>
        {
            [TelemetryEvidence.TopClasses] = EdgeTensor.Create([1L, 2L, 0L], [3]),
            [TelemetryEvidence.Text] = EdgeTensor.Create(["edge deploy"], [1]),
        };
        var bytes = TelemetryCodec.Encode(Record with { Evidence = evidence });

        var full = TelemetryCodec.DecodePrediction(bytes);
        var read = TelemetryCodec.DecodeTensors(TelemetryCodec.ReadEvidence(bytes));

        Assert.Equal(0x9B, bytes[0]); // 11 fields: raw inputs written as nil before the evidence
        Assert.Null(full.RawInputs);
        Assert.True(TelemetryCodec.ReadRawInputs(bytes).IsEmpty);
        Assert.Equal([1L, 2L, 0L], read[TelemetryEvidence.TopClasses].ToArray<long>());
        Assert.Equal("edge deploy", full.Evidence![TelemetryEvidence.Text].AsSpan<string>()[0]);
        Assert.Equal(2, TelemetryCodec.ReadPredictionSummary(bytes, "label").Predicted); // the summary reader skips it
    }

    [Fact]
    public void ReadEvidence_RecordWithoutEvidence_IsEmpty()
    {
        Assert.True(TelemetryCodec.ReadEvidence(TelemetryCodec.Encode(Record)).IsEmpty);
        Assert.True(TelemetryCodec.ReadEvidence(TelemetryCodec.Encode(Record with { RawInputs = new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([1f], [1]) } })).IsEmpty);
    }

    [Fact]
    public void Encode_GroundTruthWithTruth_RoundTripsAndPlainLabelKeepsThreeFields()
    {
        var id = Guid.NewGuid();
        var plain = TelemetryCodec.Encode(new GroundTruthRecord(id, 2, 5));
        var text = TelemetryCodec.Encode(new GroundTruthRecord(id, double.NaN, 5)
        {
            Truth = new Dictionary<string, EdgeTensor> { [TelemetryEvidence.Text] = EdgeTensor.Create(["HELLO WORLD"], [1]) },
        });

        var decoded = TelemetryCodec.DecodeGroundTruth(text);

        Assert.Equal(0x93, plain[0]); // the layout older servers read
        Assert.Null(TelemetryCodec.DecodeGroundTruth(plain).Truth);
        Assert.True(double.IsNaN(decoded.Label));
        Assert.Equal("HELLO WORLD", decoded.Truth![TelemetryEvidence.Text].AsSpan<string>()[0]);
    }
}
