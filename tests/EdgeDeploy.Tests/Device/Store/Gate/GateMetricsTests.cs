using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>The gate metrics against values worked out by hand, and the manifest's compatibility and signing.</summary>
public sealed class GateMetricsTests : IClassFixture<PackageFactory>
{
    private readonly PackageFactory _factory;

    public GateMetricsTests(PackageFactory factory) => _factory = factory;

    [Fact]
    public void EditDistance_HandComputed_Matches()
    {
        Assert.Equal(3, SequenceMetrics.EditDistance(Chars("kitten"), Chars("sitting")));
        Assert.Equal(0, SequenceMetrics.EditDistance([], []));
        Assert.Equal(2, SequenceMetrics.EditDistance(Chars("ab"), []));
    }

    [Fact]
    public void ErrorRates_OverTheSet_AreTotalEditsOverTotalTruthLength()
    {
        // "abbc" vs "abc": 1 of 3; "ab c" vs "ab ca": 1 of 5; "" vs "x y": 3 of 3 characters (x, space, y).
        Assert.Equal(5.0 / 11, SequenceMetrics.CharacterErrorRate(["abbc", "ab c", ""], ["abc", "ab ca", "x y"]), 12);
        // words: 1 of 1, 1 of 2, 2 of 2.
        Assert.Equal(4.0 / 5, SequenceMetrics.WordErrorRate(["abbc", "ab c", ""], ["abc", "ab ca", "x y"]), 12);
        Assert.Equal(1.0 / 2, SequenceMetrics.CharacterErrorRate(["e\u0301"], ["e\u0301x"]), 12); // a combining accent is one character
    }

    [Fact]
    public void GreedyCtc_CollapsesRepeatsAndDropsBlanks()
    {
        var vocabulary = SequenceMetrics.ReadVocabulary(File.ReadAllBytes(Repo.Model("ctc_sample.vocab.txt")));

        Assert.Equal(["<blank>", "a", "b", "c", " "], vocabulary);
        Assert.Equal("abbc", SequenceMetrics.GreedyCtc(GatePackages.OneHot([1, 1, 0, 2, 0, 2, 3], 5), vocabulary, 0));
        Assert.Equal(string.Empty, SequenceMetrics.GreedyCtc(GatePackages.OneHot([0, 0], 5), vocabulary, 0));
    }

    [Fact]
    public void TopKAccuracy_TiesGoToTheLowerClass()
    {
        double[][] scores = [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2]];

        // Row 2: label 0 ties class 1 and wins the tie (lower index), so only class 2 ranks above it: a top-2 hit.
        // Row 3: label 2 ties class 1 and loses the tie, so two classes rank above it: a top-3 hit only.
        Assert.Equal(1.0 / 3, ClassificationMetrics.TopKAccuracy(scores, [1, 0, 2], 1), 12);
        Assert.Equal(2.0 / 3, ClassificationMetrics.TopKAccuracy(scores, [1, 0, 2], 2), 12);
        Assert.Equal(1.0, ClassificationMetrics.TopKAccuracy(scores, [1, 0, 2], 3), 12);
    }

    [Fact]
    public void TopClasses_TiesGoToTheLowerClassAsInTopKAccuracy()
    {
        Assert.Equal([2L, 0L], ClassificationMetrics.TopClasses([0.3, 0.3, 0.4], 2));
        Assert.Equal([0L, 1L, 2L], ClassificationMetrics.TopClasses([0.6, 0.2, 0.2], 5)); // k beyond the classes: all of them
    }

    [Fact]
    public void CharacterAndWordEdits_SumToTheSetRates()
    {
        string[] decoded = ["abbc", "ab c", ""];
        string[] truth = ["abc", "ab ca", "x y"];

        var chars = decoded.Zip(truth, SequenceMetrics.CharacterEdits).ToList();
        var words = decoded.Zip(truth, SequenceMetrics.WordEdits).ToList();

        Assert.Equal([(1, 3), (1, 5), (3, 3)], chars);
        Assert.Equal([(1, 1), (1, 2), (2, 2)], words);
        Assert.Equal(SequenceMetrics.CharacterErrorRate(decoded, truth), chars.Sum(c => c.Edits) / (double)chars.Sum(c => c.Length), 12);
    }

    [Fact]
    public void PerClassRecallAndPrecision_HandComputed()
    {
        int[] predicted = [0, 0, 0, 1, 0, 2];
        int[] actual = [0, 0, 1, 1, 2, 0];

        Assert.Equal(new SortedDictionary<int, double> { [0] = 2.0 / 3, [1] = 0.5, [2] = 0 }, ClassificationMetrics.PerClassRecall(predicted, actual, null));
        Assert.Equal(new SortedDictionary<int, double> { [0] = 0.5, [1] = 1, [2] = 0 }, ClassificationMetrics.PerClassPrecision(predicted, actual, null));
        Assert.Equal(0, ClassificationMetrics.PerClassPrecision([0, 0], [0, 3], [3])[3]); // present, never predicted
    }

    [Fact]
    public void MeanAveragePrecision_NoDetections_IsZeroAndPerfect_IsOne()
    {
        List<DetectionMetrics.Box> truth = [new(0, 0, 10, 10, 1, 0), new(20, 20, 30, 30, 1, 1)];

        Assert.Equal(0, DetectionMetrics.MeanAveragePrecision([[]], [truth], 0.5));
        Assert.Equal(1, DetectionMetrics.MeanAveragePrecision([truth], [truth], 0.5));
        Assert.Equal(81.0 / 119, DetectionMetrics.Iou(new(0, 0, 10, 10, 1, 0), new(1, 1, 11, 11, 1, 0)), 12);
        // IoU 0.68 is a hit at 0.5 and a miss at 0.7.
        List<DetectionMetrics.Box> shifted = [new(1, 1, 11, 11, 0.9, 0)];
        Assert.Equal(1, DetectionMetrics.MeanAveragePrecision([shifted], [[truth[0]]], 0.5));
        Assert.Equal(0, DetectionMetrics.MeanAveragePrecision([shifted], [[truth[0]]], 0.7));
    }

    [Fact]
    public void Manifest_WithoutGateFields_SerialisesAsBefore()
    {
        var manifest = PackageVerifier.ReadUnverifiedManifest(Repo.Model("iris_classifier.edgepkg"));
        var stored = ZipEdit.Read(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")))["manifest.json"];

        Assert.Null(manifest.Gate);
        Assert.Null(manifest.EndToEnd.Outputs);
        Assert.Equal(stored, ManifestCodec.Serialize(manifest)); // the old bytes, exactly: the new fields add nothing when unset
        Assert.DoesNotContain("\"gate\"", System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public void Install_GateFieldChangedAfterSigning_IsRefusedBySignature()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 1, Min = 0.95, Max = 1 }] };
        var package = GatePackages.Iris(_factory, gate);
        var loosened = ZipEdit.Replace(package, "manifest.json", bytes => System.Text.Encoding.UTF8.GetBytes(
            System.Text.Encoding.UTF8.GetString(bytes).Replace("\"min\":0.95", "\"min\":0.05", StringComparison.Ordinal)));
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options());

        Assert.Contains("\"min\":0.95", System.Text.Encoding.UTF8.GetString(ZipEdit.Read(package)["manifest.json"]), StringComparison.Ordinal);
        Assert.Equal(EdgeErrorCode.SignatureInvalid, Assert.Throws<EdgeException>(() => verifier.Verify(loosened)).Code);
    }

    private static string[] Chars(string s) => [.. s.Select(c => c.ToString())];
}
