using System.Globalization;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>The model card's fairness groups as a device gate: packed, signed and installed through a real store.</summary>
public sealed class FairnessGateTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();

    public FairnessGateTests(PackageFactory factory) => _factory = factory;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_AccurateOverallButUnfairToOneGroup_IsRefusedNamingTheGroup()
    {
        using var store = Open("biased");
        var card = FairnessPackages.CardMetrics("fairness_biased");

        var result = store.Install(FairnessPackages.Build(_factory.PublisherKey, "fairness_biased", "gate-credit", "1.0.0"));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        var gate = result.Gate!;
        Assert.Equal(card["accuracy"], gate.MetricValue, 9); // 0.765: inside the accuracy range [0.7, 1]
        var ratios = gate.Metrics.Skip(1).ToDictionary(m => m.Name);
        Assert.Equal(new[] { "positive_rate_ratio@group=1", "fpr_ratio@group=1", "fnr_ratio@group=1" }, ratios.Keys);
        Assert.All(ratios.Values, m => Assert.Equal((0.8, 1.25, false, 600), (m.Min, m.Max, m.Passed, m.Cases)));
        foreach (var (name, m) in ratios)
        {
            Assert.Equal(card[name], m.Value, 9); // the same ratios scikit-learn computed for the card
        }

        var fnr = ratios["fnr_ratio@group=1"];
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"fairness: fnr_ratio@group=1 is {fnr.Value:G4}, outside the acceptable disparity [0.8, 1.25] (group 'group=1' fnr "), gate.Reason, StringComparison.Ordinal);
        Assert.Contains("vs reference 'group=0'", gate.Reason, StringComparison.Ordinal);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_FairModel_PassesWithEveryRatioAtParity()
    {
        using var store = Open("fair");

        var result = store.Install(FairnessPackages.Build(_factory.PublisherKey, "fairness_fair", "gate-credit", "1.0.0"));

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        var ratios = result.Gate!.Metrics.Skip(1).ToList();
        Assert.Equal(3, ratios.Count);
        Assert.All(ratios, m => Assert.Equal((1.0, true), (m.Value, m.Passed))); // the held-out set is counterfactual: the group changes nothing
    }

    [Fact]
    public void Install_GroupSmallerThanTheCardMinimum_IsReportedNotJudged()
    {
        using var store = Open("small");
        var kept = 0;

        // Only 20 of group 1's rows: under the card's minimum group size of 30.
        var result = store.Install(FairnessPackages.Build(_factory.PublisherKey, "fairness_biased", "gate-credit", "1.0.0", c => !FairnessPackages.InGroup1(c) || kept++ < 20));

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        var fnr = result.Gate!.Metrics.Single(m => m.Name == "fnr_ratio@group=1");
        Assert.True(fnr.Passed);
        Assert.Equal(20, fnr.Cases);
        Assert.EndsWith("fewer than 30 cases: not judged", fnr.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_FairnessGroupNotACardSlice_IsRefusedAsMalformed()
    {
        var metadata = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("fairness_fair.card.json")));
        var card = metadata.ModelCard;
        var broken = new PackageMetadataInput
        {
            ModelCard = new ModelCard
            {
                Purpose = card.Purpose, IntendedUse = card.IntendedUse, Provenance = card.Provenance, Slices = card.Slices,
                Fairness = new FairnessSpec { Reference = "group=0", Groups = ["group=2"] },
            },
            Features = metadata.Features,
            VersionSync = metadata.VersionSync,
            Audit = metadata.Audit,
        };
        using var model = EdgeModel.Load(Repo.Model("fairness_fair.onnx"));
        var builder = new PackageBuilder("gate-credit", "1.0.0")
            .WithModel(File.ReadAllBytes(Repo.Model("fairness_fair.onnx")))
            .WithMetadata(broken)
            .WithEndToEndSet(TestSets.ReadE2e(Repo.Model("fairness_fair.e2e.jsonl"), model.Schema).Select(c => new EndToEndCase(c.Inputs, c.Expected)).ToList())
            .WithConfidenceSet(FairnessPackages.Confidence(model.Schema), ConfidenceMetric.Accuracy, "probabilities", 0.7, 1);

        var ex = Assert.Throws<EdgeException>(() => builder.Build());

        Assert.Equal(EdgeErrorCode.ManifestMalformed, ex.Code);
        Assert.Contains("The fairness group 'group=2' is not a model-card slice with conditions", ex.Message, StringComparison.Ordinal);
    }

    private ModelStore Open(string name) => PackageFactory.OpenStore(Path.Combine(_temp.Path, name), _factory.NewTrustStore());
}
