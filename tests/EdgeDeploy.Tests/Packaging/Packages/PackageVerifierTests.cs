using System.Text;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Packaging.Packages;

/// <summary>One test per rejection, each asserting its own error code, against real keys, roots and packages.</summary>
public sealed class PackageVerifierTests : IClassFixture<PackageFactory>
{
    private readonly PackageFactory _factory;

    public PackageVerifierTests(PackageFactory factory) => _factory = factory;

    [Fact]
    public void Verify_ValidPackage_ReturnsManifestPublisherAndVerifiedBytes()
    {
        var verified = Verifier().Verify(_factory.SignedIris());

        Assert.Equal("iris-classifier", verified.Manifest.Name);
        Assert.Equal("1.0.0", verified.Manifest.Version);
        Assert.Equal("ml-team", verified.Publisher);
        Assert.Equal(17, verified.Manifest.Requirements.Opset);
        Assert.Equal(File.ReadAllBytes(Repo.Model("iris_classifier.onnx")), verified.ModelBytes);
        Assert.Equal(45, verified.ReadEndToEndSet().Count);
        Assert.Equal(45, verified.ReadConfidenceSet().Count);
        Assert.Equal(64, verified.ManifestSha256.Length);
        Assert.Equal(3, verified.Manifest.ModelCard.Slices.Count);
    }

    [Fact]
    public void Verify_FromFile_MatchesVerifyFromBytes()
    {
        using var temp = new TempDirectory();
        var bytes = _factory.SignedIris();
        File.WriteAllBytes(temp.File("p.edgepkg"), bytes);

        Assert.Equal(Verifier().Verify(bytes).ManifestSha256, Verifier().Verify(temp.File("p.edgepkg")).ManifestSha256);
    }

    [Fact]
    public void Verify_MissingFile_ThrowsPackageNotFound() =>
        AssertRejected(EdgeErrorCode.PackageNotFound, () => Verifier().Verify("/nonexistent/p.edgepkg"));

    [Theory]
    [InlineData("model.onnx")]
    [InlineData("tests/e2e.msgpack")]
    [InlineData("tests/confidence.msgpack")]
    public void Verify_OneChangedByteInFile_ThrowsFileHashMismatch(string path)
    {
        var tampered = ZipEdit.Replace(_factory.SignedIris(), path, b => FlipByte(b, b.Length / 2));

        var ex = AssertRejected(EdgeErrorCode.FileHashMismatch, () => Verifier().Verify(tampered));
        Assert.Contains($"'{path}' does not match the signed manifest", ex.Message);
    }

    [Fact]
    public void Verify_OneChangedByteInManifest_ThrowsSignatureInvalid()
    {
        var tampered = ZipEdit.Replace(_factory.SignedIris(), "manifest.json", b => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(b).Replace("Classify iris", "Clbssify iris", StringComparison.Ordinal)));

        AssertRejected(EdgeErrorCode.SignatureInvalid, () => Verifier().Verify(tampered));
    }

    [Fact]
    public void Verify_FileAppendedToModel_ThrowsFileHashMismatchOnSize()
    {
        var tampered = ZipEdit.Replace(_factory.SignedIris(), "model.onnx", b => [.. b, 0]);

        var ex = AssertRejected(EdgeErrorCode.FileHashMismatch, () => Verifier().Verify(tampered));
        Assert.Contains("464 bytes but the signed manifest says 463", ex.Message);
    }

    [Fact]
    public void Verify_FileAdded_ThrowsFileUnexpected()
    {
        var tampered = ZipEdit.Add(_factory.SignedIris(), "payload.sh", "rm -rf /"u8.ToArray());

        var ex = AssertRejected(EdgeErrorCode.FileUnexpected, () => Verifier().Verify(tampered));
        Assert.Contains("'payload.sh'", ex.Message);
    }

    [Fact]
    public void Verify_FileRemoved_ThrowsFileMissing()
    {
        var tampered = ZipEdit.Remove(_factory.SignedIris(), "tests/confidence.msgpack");

        var ex = AssertRejected(EdgeErrorCode.FileMissing, () => Verifier().Verify(tampered));
        Assert.Contains("'tests/confidence.msgpack'", ex.Message);
    }

    [Fact]
    public void Verify_SignedByUnknownKey_ThrowsSignatureUnknownKey()
    {
        using var stranger = SigningKey.Generate();

        AssertRejected(EdgeErrorCode.SignatureUnknownKey, () => Verifier().Verify(PackageSigner.Sign(PackageFactory.BuildIris(), stranger)));
    }

    [Fact]
    public void Verify_Unsigned_ThrowsSignatureThresholdNotMet() =>
        AssertRejected(EdgeErrorCode.SignatureThresholdNotMet, () => Verifier().Verify(PackageFactory.BuildIris()));

    [Fact]
    public void Verify_SignedByRevokedKey_ThrowsKeyRevoked()
    {
        var trust = _factory.NewTrustStore();
        var rootV3 = RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1)).RevokeKey(_factory.PublisherKey.KeyId).Build([_factory.RootKey]);
        var package = _factory.SignedIris();
        new PackageVerifier(trust, PackageFactory.Options()).Verify(package);

        trust.UpdateRoot(rootV3, PackageFactory.Now);

        AssertRejected(EdgeErrorCode.KeyRevoked, () => new PackageVerifier(trust, PackageFactory.Options()).Verify(package));
    }

    [Fact]
    public void Verify_FewerSignaturesThanThreshold_ThrowsSignatureThresholdNotMet()
    {
        using var second = SigningKey.Generate();
        var trust = _factory.NewTrustStore();
        trust.UpdateRoot(RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1))
            .WithPublisher("ml-team", [_factory.PublisherKey, second], 2, ["iris-*"])
            .Build([_factory.RootKey]), PackageFactory.Now);
        var oneSignature = _factory.SignedIris();

        var ex = AssertRejected(EdgeErrorCode.SignatureThresholdNotMet, () => new PackageVerifier(trust, PackageFactory.Options()).Verify(oneSignature));
        Assert.Contains("1 valid signature(s) of 1: publisher 'ml-team' needs 2", ex.Message);

        var twoSignatures = PackageSigner.Sign(oneSignature, second);
        Assert.Equal("ml-team", new PackageVerifier(trust, PackageFactory.Options()).Verify(twoSignatures).Publisher);
    }

    [Fact]
    public void Verify_SameKeySigningTwice_CountsOnce()
    {
        using var second = SigningKey.Generate();
        var trust = _factory.NewTrustStore();
        trust.UpdateRoot(RootBuilder.CreateNext(_factory.RootV2, PackageFactory.Now.AddYears(1))
            .WithPublisher("ml-team", [_factory.PublisherKey, second], 2, ["iris-*"])
            .Build([_factory.RootKey]), PackageFactory.Now);
        var twice = PackageSigner.Sign(_factory.SignedIris(), _factory.PublisherKey);

        AssertRejected(EdgeErrorCode.SignatureThresholdNotMet, () => new PackageVerifier(trust, PackageFactory.Options()).Verify(twice));
    }

    [Fact]
    public void Verify_PublisherNotDelegatedThisModelName_ThrowsPublisherNotAuthorized()
    {
        var package = _factory.SignedIris(name: "speech-detector");

        var ex = AssertRejected(EdgeErrorCode.PublisherNotAuthorized, () => Verifier().Verify(package));
        Assert.Contains("does not delegate model 'speech-detector'", ex.Message);
    }

    [Fact]
    public void Verify_ExpiredRoot_ThrowsRootExpired()
    {
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options(now: PackageFactory.Now.AddYears(2)));

        AssertRejected(EdgeErrorCode.RootExpired, () => verifier.Verify(_factory.SignedIris()));
    }

    [Fact]
    public void Verify_ExpiredManifest_ThrowsManifestExpired()
    {
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options(now: PackageFactory.Now.AddDays(31)));

        var ex = AssertRejected(EdgeErrorCode.ManifestExpired, () => verifier.Verify(_factory.SignedIris()));
        Assert.Contains("expired at 2026-12-22T12:00:00", ex.Message);
    }

    [Fact]
    public void Verify_LowerVersionThanInstalled_ThrowsVersionRollback()
    {
        var trust = _factory.NewTrustStore();
        trust.RecordInstalled("iris-classifier", "1.2.0");
        var verifier = new PackageVerifier(trust, PackageFactory.Options());

        var ex = AssertRejected(EdgeErrorCode.VersionRollback, () => verifier.Verify(_factory.SignedIris("1.1.9")));
        Assert.Equal("Package iris-classifier 1.1.9 is older than the installed 1.2.0; rollback refused.", ex.Message);
        Assert.Equal("1.2.0", verifier.Verify(_factory.SignedIris("1.2.0")).Manifest.Version);
        Assert.Equal("1.10.0", verifier.Verify(_factory.SignedIris("1.10.0")).Manifest.Version);
    }

    [Fact]
    public void RecordInstalled_PersistsAcrossReopen()
    {
        var trust = _factory.NewTrustStore();
        var dir = trust.DirectoryPath;
        trust.RecordInstalled("iris-classifier", "2.0.0");
        trust.RecordInstalled("iris-classifier", "1.0.0"); // lower: ignored

        var reopened = TrustStore.Open(dir);

        Assert.Equal("2.0.0", reopened.GetHighestInstalledVersion("iris-classifier"));
        Assert.Equal(2, reopened.RootVersion);
        AssertRejected(EdgeErrorCode.VersionRollback, () => new PackageVerifier(reopened, PackageFactory.Options()).Verify(_factory.SignedIris("1.5.0")));
    }

    [Fact]
    public void Verify_ModelSwappedInFromAnotherSignedPackage_ThrowsFileHashMismatch()
    {
        // The sample diabetes package is validly signed too; its model must not ride on the iris package's signatures.
        var otherSignedModel = ZipEdit.Read(File.ReadAllBytes(Repo.Model("diabetes_regressor.edgepkg")))["model.onnx"];
        var mixed = ZipEdit.Replace(_factory.SignedIris(), "model.onnx", _ => otherSignedModel);

        var ex = AssertRejected(EdgeErrorCode.FileHashMismatch, () => Verifier().Verify(mixed));
        Assert.Contains("'model.onnx'", ex.Message);
    }

    [Fact]
    public void Verify_ManifestAndSignaturesSwappedFromAnotherPackage_ThrowsFileHashMismatch()
    {
        var v1 = ZipEdit.Read(_factory.SignedIris("1.0.0"));
        var v2 = ZipEdit.Read(PackageSigner.Sign(PackageFactory.BuildIris("2.0.0", e2eCount: 10), _factory.PublisherKey));
        var mixed = ZipEdit.Write(v1.Select(kv => (kv.Key, kv.Key is "manifest.json" or "signatures.json" ? v2[kv.Key] : kv.Value)));

        AssertRejected(EdgeErrorCode.FileHashMismatch, () => Verifier().Verify(mixed));
    }

    [Fact]
    public void Verify_ValidPackageOfAnotherVersionThanAssigned_ThrowsPackageMismatch()
    {
        var verifier = Verifier();
        var v1 = _factory.SignedIris("1.0.0");

        var ex = AssertRejected(EdgeErrorCode.PackageMismatch, () => verifier.Verify(v1, new ExpectedPackage("iris-classifier", "2.0.0")));
        Assert.Equal("Expected iris-classifier 2.0.0 but the package is iris-classifier 1.0.0.", ex.Message);
        AssertRejected(EdgeErrorCode.PackageMismatch, () => verifier.Verify(v1, new ExpectedPackage("diabetes-regressor")));
        AssertRejected(EdgeErrorCode.PackageMismatch, () => verifier.Verify(v1, new ExpectedPackage("iris-classifier", "1.0.0", new string('0', 64))));
        var ok = verifier.Verify(v1, new ExpectedPackage("iris-classifier", "1.0.0"));
        Assert.Equal(ok.ManifestSha256, verifier.Verify(v1, new ExpectedPackage("iris-classifier", "1.0.0", ok.ManifestSha256)).ManifestSha256);
    }

    [Fact]
    public void Verify_PackageOverSizeLimit_ThrowsPayloadTooLargeBeforeReading()
    {
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp.File("big.edgepkg"), new byte[4096]); // not even a zip: the size check comes first

        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options(maxPackageBytes: 1024));

        var ex = AssertRejected(EdgeErrorCode.PayloadTooLarge, () => verifier.Verify(temp.File("big.edgepkg")));
        Assert.Equal("The package is 4096 bytes, over the limit of 1024.", ex.Message);
    }

    [Fact]
    public void Verify_FileOverSizeLimit_ThrowsPayloadTooLarge()
    {
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options(maxFileBytes: 1000));

        var ex = AssertRejected(EdgeErrorCode.PayloadTooLarge, () => verifier.Verify(_factory.SignedIris()));
        Assert.Contains("over the limit of 1000", ex.Message);
    }

    [Fact]
    public void Verify_EntryInflatingPastItsClaimedSize_IsRejectedWithoutInflatingIt()
    {
        // 64 MiB of zeros compresses to ~64 KiB; the zip directory is edited to claim the signed 463 bytes.
        var bomb = ZipEdit.LieAboutSize(ZipEdit.Replace(_factory.SignedIris(), "model.onnx", _ => new byte[64 << 20]), "model.onnx", 463);
        var verifier = Verifier();
        var before = GC.GetAllocatedBytesForCurrentThread();

        // Reads stop at the signed size (the zip reader and our bounded copy both enforce it): what was read is 463 zeros.
        var ex = AssertRejected(EdgeErrorCode.FileHashMismatch, () => verifier.Verify(bomb));

        Assert.Contains("'model.onnx' does not match the signed manifest", ex.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the entry must not be inflated whole");
    }

    [Fact]
    public void Verify_EntryClaimingHugeSize_ThrowsPayloadTooLargeWithoutReading()
    {
        var bomb = ZipEdit.LieAboutSize(_factory.SignedIris(), "model.onnx", uint.MaxValue);
        var verifier = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options(maxFileBytes: 1 << 20));

        var ex = AssertRejected(EdgeErrorCode.PayloadTooLarge, () => verifier.Verify(bomb));

        Assert.Equal("'model.onnx' is 4294967295 bytes, over the limit of 1048576.", ex.Message);
    }

    [Fact]
    public void Verify_RuntimeTooOld_ThrowsRequirementsNotMet()
    {
        var package = PackageSigner.Sign(PackageFactory.BuildIris(requirements: new PackageRequirements { MinRuntimeVersion = "9.0.0" }), _factory.PublisherKey);

        var ex = AssertRejected(EdgeErrorCode.RequirementsNotMet, () => Verifier().Verify(package));
        Assert.Contains("needs EdgeRuntime 9.0.0; this device runs 0.1.0", ex.Message);
    }

    [Fact]
    public void Verify_OpsetNewerThanRuntime_ThrowsRequirementsNotMet()
    {
        var package = PackageSigner.Sign(PackageFactory.BuildIris(requirements: new PackageRequirements { Opset = 99 }), _factory.PublisherKey);

        AssertRejected(EdgeErrorCode.RequirementsNotMet, () => Verifier().Verify(package));
    }

    [Fact]
    public void Verify_NotAZip_ThrowsPackageMalformed() =>
        AssertRejected(EdgeErrorCode.PackageMalformed, () => Verifier().Verify("definitely not a zip archive"u8.ToArray()));

    [Fact]
    public void Verify_TruncatedArchive_ThrowsPackageMalformed()
    {
        var bytes = _factory.SignedIris();

        AssertRejected(EdgeErrorCode.PackageMalformed, () => Verifier().Verify(bytes[..(bytes.Length - 30)]));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("tests\\evil")]
    public void Verify_UnsafeEntryName_ThrowsPackageMalformed(string name)
    {
        var ex = AssertRejected(EdgeErrorCode.PackageMalformed, () => Verifier().Verify(ZipEdit.Add(_factory.SignedIris(), name, [1])));
        Assert.Contains("unsafe name", ex.Message);
    }

    [Fact]
    public void Verify_DuplicateEntry_ThrowsPackageMalformed()
    {
        var entries = ZipEdit.Read(_factory.SignedIris()).Select(kv => (kv.Key, kv.Value)).ToList();
        entries.Add(("model.onnx", entries.Single(e => e.Key == "model.onnx").Value));

        var ex = AssertRejected(EdgeErrorCode.PackageMalformed, () => Verifier().Verify(ZipEdit.Write(entries)));
        Assert.Contains("two entries named 'model.onnx'", ex.Message);
    }

    [Fact]
    public void Verify_SignedManifestThatIsNotJson_ThrowsManifestMalformed()
    {
        var package = SignedWithManifest("{not json"u8.ToArray());

        AssertRejected(EdgeErrorCode.ManifestMalformed, () => Verifier().Verify(package));
    }

    [Fact]
    public void Verify_SignedManifestNotCanonical_ThrowsManifestMalformed()
    {
        var manifest = ZipEdit.Read(_factory.SignedIris())["manifest.json"];
        var reformatted = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(manifest).Replace(",\"version\"", ", \"version\"", StringComparison.Ordinal));

        var ex = AssertRejected(EdgeErrorCode.ManifestMalformed, () => Verifier().Verify(SignedWithManifest(reformatted)));
        Assert.Equal("The manifest is not in canonical form.", ex.Message);
    }

    [Fact]
    public void Verify_SignedManifestWithUnknownMember_ThrowsManifestMalformed()
    {
        var manifest = Encoding.UTF8.GetString(ZipEdit.Read(_factory.SignedIris())["manifest.json"]);
        var extended = Encoding.UTF8.GetBytes("{\"surprise\":1," + manifest[1..]);

        AssertRejected(EdgeErrorCode.ManifestMalformed, () => Verifier().Verify(SignedWithManifest(extended)));
    }

    [Fact]
    public void Verify_SignaturesFileGarbage_ThrowsPackageMalformed()
    {
        var tampered = ZipEdit.Replace(_factory.SignedIris(), "signatures.json", _ => "[[["u8.ToArray());

        AssertRejected(EdgeErrorCode.PackageMalformed, () => Verifier().Verify(tampered));
    }

    [Theory]
    [InlineData("petal colour", 1.0, null, "Slice 'bad' names feature 'petal colour', which is not a numeric feature of the manifest.")]
    [InlineData("petal length (cm)", 5.0, 2.5, "Slice 'bad' condition on 'petal length (cm)' needs finite bounds with min < max (at least one of them).")]
    [InlineData("petal length (cm)", null, null, "Slice 'bad' condition on 'petal length (cm)' needs finite bounds with min < max (at least one of them).")]
    public void Build_InvalidSlicePredicate_ThrowsManifestMalformed(string feature, double? min, double? max, string message)
    {
        var ex = Assert.Throws<EdgeException>(() => PackageFactory.BuildIris(customise: b => b.WithMetadata(WithSlices(
            new SliceMetrics { Name = "bad", Where = [new SliceCondition { Feature = feature, Min = min, Max = max }] }))));

        Assert.Equal((EdgeErrorCode.ManifestMalformed, message), (ex.Code, ex.Message));
    }

    [Fact]
    public void Build_DuplicateSliceNamesOrTooManySlices_ThrowsManifestMalformed()
    {
        var twice = Assert.Throws<EdgeException>(() => PackageFactory.BuildIris(customise: b => b.WithMetadata(WithSlices(new SliceMetrics { Name = "a" }, new SliceMetrics { Name = "a" }))));
        var many = Assert.Throws<EdgeException>(() => PackageFactory.BuildIris(customise: b => b.WithMetadata(WithSlices([.. Enumerable.Range(0, 65).Select(i => new SliceMetrics { Name = $"s{i}" })]))));

        Assert.Equal((EdgeErrorCode.ManifestMalformed, "Slice names must be non-empty and unique; 'a' is not."), (twice.Code, twice.Message));
        Assert.StartsWith("The model card has 65 slices; at most 64 are supported", many.Message);
    }

    [Fact]
    public void SamplePackages_InModelsFolder_VerifyAgainstCommittedRoot()
    {
        using var temp = new TempDirectory();
        var trust = SampleTrust.Create(temp.File("trust"));
        var verifier = new PackageVerifier(trust, PackageFactory.Options(now: new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)));

        var iris = verifier.Verify(Repo.Model("iris_classifier.edgepkg"));
        var diabetes = verifier.Verify(Repo.Model("diabetes_regressor.edgepkg"));

        Assert.Equal(("iris-classifier", "sample-publisher"), (iris.Manifest.Name, iris.Publisher));
        Assert.Equal(("diabetes-regressor", "sample-publisher"), (diabetes.Manifest.Name, diabetes.Publisher));
        Assert.Equal(ConfidenceMetric.Mae, diabetes.Manifest.Confidence.Metric);
        Assert.Equal([(null, 0.0), (0.0, null)], diabetes.Manifest.ModelCard.Slices.Select(s => Assert.Single(s.Where!)).Select(c => (c.Min, c.Max))); // sex < 0, sex >= 0
        Assert.NotNull(iris.Manifest.DriftReference);
        Assert.Equal(File.ReadAllBytes(Repo.Model("diabetes_regressor.onnx")), diabetes.ModelBytes);
    }

    private PackageVerifier Verifier() => new(_factory.NewTrustStore(), PackageFactory.Options());

    private static PackageMetadataInput WithSlices(params SliceMetrics[] slices)
    {
        var card = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("iris_classifier.card.json")));
        return new PackageMetadataInput
        {
            ModelCard = new ModelCard { Purpose = card.ModelCard.Purpose, IntendedUse = card.ModelCard.IntendedUse, Provenance = card.ModelCard.Provenance, Slices = slices },
            Features = card.Features, VersionSync = card.VersionSync, Hyperparameters = card.Hyperparameters, Audit = card.Audit, Requirements = card.Requirements,
        };
    }

    private byte[] SignedWithManifest(byte[] manifest)
    {
        var entries = ZipEdit.Read(_factory.SignedIris());
        var signatures = new SignatureFile { Signatures = [Envelope.Sign(_factory.PublisherKey, Envelope.ManifestType, manifest)] };
        entries["manifest.json"] = manifest;
        entries["signatures.json"] = PackageJsonContext.Serialize(signatures, PackageJsonContext.Default.SignatureFile);
        return ZipEdit.Write(entries.Select(kv => (kv.Key, kv.Value)));
    }

    private static byte[] FlipByte(byte[] bytes, int index)
    {
        var copy = (byte[])bytes.Clone();
        copy[index] ^= 0x01;
        return copy;
    }

    private static EdgeException AssertRejected(EdgeErrorCode code, Func<object> verify)
    {
        var ex = Assert.Throws<EdgeException>(verify);
        Assert.True(ex.Code == code, $"expected {code}, got {ex.Code}: {ex.Message}");
        return ex;
    }
}
