using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Packages;

/// <summary>Root rotation rules (TUF-style): continuity of signatures, sequential versions, no rollback.</summary>
public sealed class TrustStoreTests : IClassFixture<PackageFactory>
{
    private readonly PackageFactory _factory;

    public TrustStoreTests(PackageFactory factory) => _factory = factory;

    [Fact]
    public void UpdateRoot_RotationSignedByOldAndNewKeys_IsTrustedAndOldKeysLoseControl()
    {
        using var newRoot = SigningKey.Generate();
        var trust = _factory.NewTrustStore();
        var v3 = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1)).WithRootKeys([newRoot], 1).Build([_factory.RootKey, newRoot]);

        trust.UpdateRoot(v3, PackageFactory.Now);

        Assert.Equal(3, trust.RootVersion);
        var v4ByOldKey = RootBuilder.CreateNext(v3, PackageFactory.Now.AddYears(1)).Build([_factory.RootKey]);
        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(v4ByOldKey, PackageFactory.Now));
        Assert.Equal(EdgeErrorCode.RootRotationInvalid, ex.Code);
        Assert.Contains("0 valid signature(s) from the keys of trusted root version 3", ex.Message);
        Assert.Equal("ml-team", new PackageVerifier(trust, PackageFactory.Options()).Verify(_factory.SignedIris()).Publisher);
    }

    [Fact]
    public void UpdateRoot_AlreadyExpiredRoot_IsRefusedWithRootExpiredAndTrustUnchanged()
    {
        var trust = _factory.NewTrustStore();
        var rootFile = Path.Combine(trust.DirectoryPath, "root.json");
        var before = File.ReadAllBytes(rootFile);
        var expired = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddMinutes(-1)).Build([_factory.RootKey]); // validly signed

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(expired, PackageFactory.Now));

        Assert.Equal(EdgeErrorCode.RootExpired, ex.Code);
        Assert.Contains("Root version 3 expired at", ex.Message);
        Assert.Equal(2, trust.RootVersion);
        Assert.Equal(before, File.ReadAllBytes(rootFile));
        Assert.Equal(2, TrustStore.Open(trust.DirectoryPath).RootVersion);
    }

    [Fact]
    public void UpdateRoot_NotSignedByOldThreshold_ThrowsRootRotationInvalid()
    {
        using var attacker = SigningKey.Generate();
        var trust = _factory.NewTrustStore();
        var forged = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1)).WithRootKeys([attacker], 1).Build([attacker]);

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(forged, PackageFactory.Now));

        Assert.Equal(EdgeErrorCode.RootRotationInvalid, ex.Code);
        Assert.Equal(2, trust.RootVersion);
    }

    [Fact]
    public void UpdateRoot_NotSignedByNewKeys_ThrowsRootRotationInvalid()
    {
        using var newRoot = SigningKey.Generate();
        var trust = _factory.NewTrustStore();
        var onlyOld = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1)).WithRootKeys([newRoot], 1).Build([_factory.RootKey]);

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(onlyOld, PackageFactory.Now));

        Assert.Equal(EdgeErrorCode.RootRotationInvalid, ex.Code);
        Assert.Contains("from its own root keys", ex.Message);
    }

    [Fact]
    public void UpdateRoot_ThresholdTwoOfThreeOldKeys_NeedsTwoOldSignatures()
    {
        using var a = SigningKey.Generate();
        using var b = SigningKey.Generate();
        using var c = SigningKey.Generate();
        using var temp = new TempDirectory();
        var v1 = RootBuilder.CreateInitial(PackageFactory.Now.AddYears(1)).WithRootKeys([a, b, c], 2).Build([a, b]);
        var trust = TrustStore.Initialize(temp.Path, v1);
        var builder = RootBuilder.CreateNext(v1, PackageFactory.Now.AddYears(1));

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(builder.Build([a]), PackageFactory.Now));
        Assert.Equal(EdgeErrorCode.RootRotationInvalid, ex.Code);

        trust.UpdateRoot(builder.Build([b, c]), PackageFactory.Now);
        Assert.Equal(2, trust.RootVersion);
    }

    [Fact]
    public void UpdateRoot_SameOrOlderVersion_ThrowsRootVersionRollback()
    {
        var trust = _factory.NewTrustStore();

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(_factory.RootV1, PackageFactory.Now));

        Assert.Equal(EdgeErrorCode.RootVersionRollback, ex.Code);
        Assert.Equal("Root version 1 is not newer than the trusted version 2.", ex.Message);
    }

    [Fact]
    public void UpdateRoot_SkippedVersion_ThrowsRootRotationInvalid()
    {
        var trust = _factory.NewTrustStore();
        var v3 = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1)).Build([_factory.RootKey]);
        var v4 = RootBuilder.CreateNext(v3, PackageFactory.Now.AddYears(1)).Build([_factory.RootKey]);

        var ex = Assert.Throws<EdgeException>(() => trust.UpdateRoot(v4, PackageFactory.Now));

        Assert.Equal(EdgeErrorCode.RootRotationInvalid, ex.Code);
        trust.UpdateRoot(v3, PackageFactory.Now);
        trust.UpdateRoot(v4, PackageFactory.Now);
        Assert.Equal(4, trust.RootVersion);
    }

    [Fact]
    public void Open_RootFileReplacedByOlderVersion_ThrowsRootVersionRollback()
    {
        var trust = _factory.NewTrustStore();
        File.WriteAllBytes(Path.Combine(trust.DirectoryPath, "root.json"), _factory.RootV1);

        var ex = Assert.Throws<EdgeException>(() => TrustStore.Open(trust.DirectoryPath));

        Assert.Equal(EdgeErrorCode.RootVersionRollback, ex.Code);
    }

    [Fact]
    public void Initialize_RootNotSelfSigned_ThrowsSignatureThresholdNotMet()
    {
        using var other = SigningKey.Generate();
        using var temp = new TempDirectory();
        var unsigned = RootBuilder.CreateInitial(PackageFactory.Now.AddYears(1)).WithRootKeys([_factory.RootKey], 1).Build([other]);

        var ex = Assert.Throws<EdgeException>(() => TrustStore.Initialize(temp.Path, unsigned));

        Assert.Equal(EdgeErrorCode.SignatureThresholdNotMet, ex.Code);
    }

    [Fact]
    public void Initialize_MalformedRoot_ThrowsRootMalformed()
    {
        using var temp = new TempDirectory();

        Assert.Equal(EdgeErrorCode.RootMalformed, Assert.Throws<EdgeException>(() => TrustStore.Initialize(temp.Path, "{}"u8.ToArray())).Code);
    }

    [Fact]
    public void Open_AbsentDirectory_ThrowsFileMissingNamingIt()
    {
        using var temp = new TempDirectory();

        var ex = Assert.Throws<EdgeException>(() => TrustStore.Open(temp.File("absent")));

        Assert.Equal(EdgeErrorCode.FileMissing, ex.Code);
        Assert.Contains(temp.File("absent"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootBuilder_ThresholdAboveKeyCount_IsRejectedWhenLoaded()
    {
        using var temp = new TempDirectory();
        var bad = RootBuilder.CreateInitial(PackageFactory.Now.AddYears(1)).WithRootKeys([_factory.RootKey], 2).Build([_factory.RootKey]);

        var ex = Assert.Throws<EdgeException>(() => TrustStore.Initialize(temp.Path, bad));

        Assert.Equal(EdgeErrorCode.RootMalformed, ex.Code);
        Assert.Contains("threshold 2 but 1 key(s)", ex.Message);
    }

    [Theory]
    [InlineData("iris-*", "iris-classifier", true)]
    [InlineData("iris-*", "iris-", true)]
    [InlineData("iris-*", "diabetes-regressor", false)]
    [InlineData("*-detector", "speech-detector", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    public void Glob_Patterns_MatchAsDocumented(string pattern, string name, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(pattern, name));
}
