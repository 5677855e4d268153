using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Device.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Telemetry;

/// <summary>Slice tags from the sample iris package's model card: bit 0 petal length &lt; 2.5, bit 1 [2.5, 5), bit 2 &gt;= 5.</summary>
public sealed class SliceMatcherTests
{
    private static readonly SliceMatcher Iris = new(PackageVerifier.ReadUnverifiedManifest(Repo.Model("iris_classifier.edgepkg")));

    [Theory]
    [InlineData(1.4f, 0b001UL)]
    [InlineData(2.4999f, 0b001UL)]
    [InlineData(2.5f, 0b010UL)] // lower bounds are inclusive
    [InlineData(4.9f, 0b010UL)]
    [InlineData(5.0f, 0b100UL)] // upper bounds are exclusive
    [InlineData(6.9f, 0b100UL)]
    public void Match_RowByPetalLength_SetsThatSlicesBit(float petalLength, ulong expected)
    {
        Assert.Equal(expected, Iris.Match(ModelStoreTests.Row([5.8f, 3.0f, petalLength, 1.2f])));
    }

    [Fact]
    public void Match_NaNBatchOrOtherInput_MatchesNothing()
    {
        var nan = ModelStoreTests.Row([5.8f, 3.0f, float.NaN, 1.2f]);
        var batch = new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create([5.8f, 3.0f, 1.4f, 1.2f, 5.8f, 3.0f, 1.4f, 1.2f], [2, 4]) };
        var other = new Dictionary<string, EdgeTensor> { ["pixels"] = EdgeTensor.Create([1.4f], [1]) };

        Assert.Equal((0UL, 0UL, 0UL), (Iris.Match(nan), Iris.Match(batch), Iris.Match(other)));
    }

    [Fact]
    public void Match_FeaturesAsSeparateInputs_ReadsEachByName()
    {
        // The same card on a model that takes each feature as its own single-value input (no tabular [1, F] input).
        var manifest = PackageVerifier.ReadUnverifiedManifest(Repo.Model("iris_classifier.edgepkg"));
        var json = JsonNode.Parse(ManifestCodec.Serialize(manifest))!;
        json["schema"]!["inputs"] = new JsonArray([.. manifest.Features.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["elementType"] = "Double", ["shape"] = new JsonArray(1) })]);
        var separate = new SliceMatcher(JsonSerializer.Deserialize(json.ToJsonString(), PackageJsonContext.Default.PackageManifest)!);

        Assert.Equal(0b100UL, separate.Match(new Dictionary<string, EdgeTensor> { ["petal length (cm)"] = EdgeTensor.Create([5.5], [1]) }));
        Assert.Equal(0UL, separate.Match(new Dictionary<string, EdgeTensor> { ["petal length (cm)"] = EdgeTensor.Create([5.5, 1.0], [2]) }));

        // Any numeric element type reads as its value (a quantised uint8 feature too).
        Assert.Equal(0b100UL, separate.Match(new Dictionary<string, EdgeTensor> { ["petal length (cm)"] = EdgeTensor.Create(new byte[] { 6 }, [1]) }));
    }
}
