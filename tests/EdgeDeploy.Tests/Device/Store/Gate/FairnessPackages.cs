using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>
/// Packages of the fairness sample models (models/make_models.py fairness_sample): <c>fairness_fair</c> ignores the
/// group, <c>fairness_biased</c> learnt from labels that under-record group 1's positives. Both cards name the groups
/// <c>group=0</c> (reference) and <c>group=1</c> over the model's <c>group</c> input column.
/// </summary>
internal static class FairnessPackages
{
    /// <summary>The shared held-out set: each row once in group 0 and once in group 1, with its true label.</summary>
    public static List<ConfidenceCase> Confidence(ModelSchema schema) => GatePackages.ReadConfidence("fairness.confidence.jsonl", schema);

    /// <summary>Whether a case's input is in group 1 (its fourth feature).</summary>
    public static bool InGroup1(ConfidenceCase c) => c.Inputs["features"].AsSpan<float>()[3] >= 0.5f;

    /// <summary>
    /// A signed package of <paramref name="stem"/> (<c>fairness_fair</c> or <c>fairness_biased</c>) with the confidence set
    /// (optionally filtered: a set without group 1 leaves that group unjudged) and accuracy in [0.7, 1].
    /// </summary>
    public static byte[] Build(SigningKey key, string stem, string name, string version, Func<ConfidenceCase, bool>? keep = null, TimeSpan? validity = null)
    {
        using var model = EdgeModel.Load(Repo.Model(stem + ".onnx"));
        var e2e = TestSets.ReadE2e(Repo.Model(stem + ".e2e.jsonl"), model.Schema).Select(c => new EndToEndCase(c.Inputs, c.Expected)).ToList();
        var confidence = Confidence(model.Schema).Where(keep ?? (_ => true)).ToList();
        var metadata = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model(stem + ".card.json")));
        var builder = new PackageBuilder(name, version)
            .WithModel(File.ReadAllBytes(Repo.Model(stem + ".onnx")))
            .WithMetadata(metadata)
            .WithEndToEndSet(e2e)
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, "probabilities", 0.7, 1)
            .WithValidity(validity ?? TimeSpan.FromDays(30))
            .WithTimeProvider(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(PackageFactory.Now));
        return PackageSigner.Sign(builder.Build(), key);
    }

    /// <summary>The card's offline figures (scikit-learn's), e.g. <c>fnr_ratio@group=1</c>.</summary>
    public static IReadOnlyDictionary<string, double> CardMetrics(string stem) =>
        PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model(stem + ".card.json"))).ModelCard.Metrics;
}
