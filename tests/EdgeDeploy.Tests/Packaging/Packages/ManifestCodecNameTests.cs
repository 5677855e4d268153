using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Tests.Packaging.Packages;

/// <summary>The model-name rule <c>[a-z0-9][a-z0-9._-]{0,63}</c>, checked without a regex (native library size).</summary>
public sealed class ManifestCodecNameTests
{
    [Theory]
    [InlineData("iris-classifier", true)]
    [InlineData("a", true)]
    [InlineData("0model.v2_final", true)]
    [InlineData("Iris", false)]
    [InlineData("-iris", false)]
    [InlineData(".iris", false)]
    [InlineData("iris classifier", false)]
    [InlineData("iris/../x", false)]
    [InlineData("iris\n", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("irís", false)]
    public void IsValidModelName_Name_FollowsTheRule(string? name, bool valid) => Assert.Equal(valid, ManifestCodec.IsValidModelName(name));

    [Fact]
    public void IsValidModelName_Length_SixtyFourAtMost()
    {
        Assert.True(ManifestCodec.IsValidModelName(new string('a', 64)));
        Assert.False(ManifestCodec.IsValidModelName(new string('a', 65)));
    }
}
