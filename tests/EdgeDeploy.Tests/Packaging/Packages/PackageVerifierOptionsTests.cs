using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Packages;

public sealed class PackageVerifierOptionsTests(PackageFactory factory) : IClassFixture<PackageFactory>
{
    [Fact]
    public void Validate_Defaults_DoesNotThrow() => new PackageVerifierOptions().Validate();

    [Theory]
    [InlineData(0, 1, 1, 1, "0.1.0", "MaxPackageBytes")]
    [InlineData(1, -1, 1, 1, "0.1.0", "MaxFileBytes")]
    [InlineData(1, 1, 0, 1, "0.1.0", "MaxManifestBytes")]
    [InlineData(1, 1, 1, 0, "0.1.0", "MaxEntries")]
    [InlineData(1, 1, 1, 1, "one", "RuntimeVersion")]
    public void Validate_BadValue_ThrowsInvalidArgumentNamingIt(long package, long file, long manifest, int entries, string runtime, string property)
    {
        var options = new PackageVerifierOptions { MaxPackageBytes = package, MaxFileBytes = file, MaxManifestBytes = manifest, MaxEntries = entries, RuntimeVersion = runtime };

        var ex = Assert.Throws<EdgeException>(options.Validate);

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Contains(property, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var ex = Assert.Throws<EdgeException>(() => new PackageVerifier(factory.NewTrustStore(), new PackageVerifierOptions { MaxEntries = 0 }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
    }
}
