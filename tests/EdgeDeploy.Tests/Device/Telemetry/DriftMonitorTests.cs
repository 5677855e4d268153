using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Tests.Device.Telemetry;

public sealed class DriftMonitorTests
{
    [Fact]
    public void Score_SmallFixture_MatchesHandComputedPsiJsAndKs()
    {
        // Reference: bins [0,1) [1,2] with 50% each. Observed 0.2, 0.4, 0.6, 1.5 and one NaN -> 75% / 25%, 1 of 5 missing.
        // PSI = (0.75-0.5)ln(0.75/0.5) + (0.25-0.5)ln(0.25/0.5) = 0.274653072167
        // JS  = 0.5[0.75 log2(0.75/0.625) + 0.25 log2(0.25/0.375)] + 0.5[0.5 log2(0.5/0.625) + 0.5 log2(0.5/0.375)] = 0.048794940695
        // KS  = max(|0.75-0.5|, |1-1|) = 0.25
        var monitor = new DriftMonitor(Manifest(new BinnedDistribution { Name = "x", BinEdges = [0, 1, 2], Fractions = [0.5, 0.5], MissingFraction = 0.1 }));

        monitor.Observe(Inputs(0.2f, 0.4f, 0.6f, 1.5f, float.NaN), Empty);
        var score = Assert.Single(monitor.Score());

        Assert.Equal(5, score.Observed);
        Assert.Equal(0.2, score.MissingFraction, 12);
        Assert.Equal(0.1, score.ReferenceMissingFraction);
        Assert.Equal([0.75, 0.25], score.ObservedFractions);
        Assert.Equal(0.274653072167, score.Psi, 9);
        Assert.Equal(0.048794940695, score.JensenShannon, 9);
        Assert.Equal(0.25, score.Ks, 12);
    }

    [Fact]
    public void Score_Categorical_CountsUnseenCategoriesInTheirOwnBin()
    {
        var monitor = new DriftMonitor(Manifest(new BinnedDistribution { Name = "x", Kind = FeatureKind.Categorical, Categories = ["0", "1"], Fractions = [0.5, 0.5] }));

        monitor.Observe(Inputs(0, 0, 1, 7), Empty);
        var score = Assert.Single(monitor.Score());

        Assert.Equal([0.5, 0.25, 0.25], score.ObservedFractions);
        Assert.True(double.IsNaN(score.Ks));
        // PSI with the 1e-4 floor on the empty reference bin: (0.5-0.5)ln1 + (0.25-0.5)ln(0.5) + (0.25-1e-4)ln(0.25/1e-4)
        Assert.Equal((-0.25 * Math.Log(0.5)) + ((0.25 - 1e-4) * Math.Log(0.25 / 1e-4)), score.Psi, 9);
    }

    [Fact]
    public void Score_NothingObserved_IsNaNNotZero()
    {
        var monitor = new DriftMonitor(Manifest(new BinnedDistribution { Name = "x", BinEdges = [0, 1, 2], Fractions = [0.5, 0.5] }));

        var score = Assert.Single(monitor.Score());

        Assert.True(double.IsNaN(score.Psi));
        Assert.Equal(0, score.Observed);
    }

    private static readonly Prediction Empty = new([], []);

    private static Dictionary<string, EdgeTensor> Inputs(params float[] values) => new() { ["x"] = EdgeTensor.Create(values) };

    private static PackageManifest Manifest(BinnedDistribution feature) => new()
    {
        Name = "m",
        Version = "1.0.0",
        Created = DateTimeOffset.UnixEpoch,
        Expires = DateTimeOffset.MaxValue,
        Schema = new ManifestSchema { Inputs = [new TensorSpec { Name = "x", ElementType = EdgeElementType.Float, Shape = [-1] }], Outputs = [] },
        ModelCard = new ModelCard { Purpose = "p", IntendedUse = "u", Provenance = "v" },
        VersionSync = new VersionSync { TrainingData = "d", FeatureExtractor = "f", Model = "m" },
        Requirements = new PackageRequirements(),
        Audit = new AuditRecord { BuiltBy = "t", BuiltAt = DateTimeOffset.UnixEpoch },
        DriftReference = new DriftReference { SampleCount = 10, Features = [feature] },
        EndToEnd = new EndToEndSpec(),
        Confidence = new ConfidenceSpec { Output = "y" },
        Files = [],
    };
}
