using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Authoring;

public sealed class DriftReferenceBuilderTests
{
    [Fact]
    public void Compute_SmallFixture_MatchesHandComputedBins()
    {
        // x = 1..10 with 4 bins: edges at sorted[round(q*9)] for q = 0, .25, .5, .75, 1 -> 1, 3, 6, 8, 10.
        // Bins [1,3) [3,6) [6,8) [8,10]: 2, 3, 2, 3 values. colour: red x3, blue x2, missing x5 (of 10).
        string[] columns = ["x", "colour"];
        var rows = Enumerable.Range(1, 10)
            .Select(i => (IReadOnlyList<string>)[i.ToString(System.Globalization.CultureInfo.InvariantCulture), i <= 3 ? "red" : i <= 5 ? "blue" : "NA"])
            .ToList();

        var reference = DriftReferenceBuilder.Compute(columns, rows, bins: 4);

        Assert.Equal(10, reference.SampleCount);
        var x = reference.Features[0];
        Assert.Equal(FeatureKind.Numeric, x.Kind);
        Assert.Equal([1.0, 3, 6, 8, 10], x.BinEdges!);
        Assert.Equal([0.2, 0.3, 0.2, 0.3], x.Fractions);
        Assert.Equal(0, x.MissingFraction);
        var colour = reference.Features[1];
        Assert.Equal(FeatureKind.Categorical, colour.Kind);
        Assert.Equal(["red", "blue"], colour.Categories!);
        Assert.Equal([0.6, 0.4], colour.Fractions);
        Assert.Equal(0.5, colour.MissingFraction);
        Assert.Empty(reference.Outputs);
    }

    [Fact]
    public void Compute_WithModel_AddsOutputDistributions()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var lines = File.ReadAllLines(Repo.Model("iris_classifier.train.csv"));
        var rows = lines.Skip(1).Select(l => (IReadOnlyList<string>)l.Split(',')).ToList();

        var reference = DriftReferenceBuilder.Compute(lines[0].Split(','), rows, model);

        Assert.Equal(105, reference.SampleCount);
        Assert.Equal(4, reference.Features.Count);
        var label = Assert.Single(reference.Outputs, o => o.Name == "label");
        Assert.Equal(FeatureKind.Categorical, label.Kind);
        Assert.Equal(["0", "1", "2"], label.Categories!.Order());
        Assert.Equal(1.0, label.Fractions.Sum(), 9);
        var probabilities = Assert.Single(reference.Outputs, o => o.Name == "probabilities");
        Assert.Equal(label.Fractions.Order(), probabilities.Fractions.Order()); // argmax of probabilities is the label
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(3, 1)]
    [InlineData(9.9, 3)]
    [InlineData(100, 3)]
    [InlineData(-100, 0)]
    public void BinIndex_OuterBinsAreOpenEnded(double value, int bin) =>
        Assert.Equal(bin, DriftBins.BinIndex([1.0, 3, 6, 8, 10], value));

    [Fact]
    public void Compute_RaggedRow_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<EdgeException>(() => DriftReferenceBuilder.Compute(["a", "b"], [["1", "2"], ["3"]]));

        Assert.Equal("Training row 2 has 1 cells; the header has 2.", ex.Message);
    }
}
