using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

public sealed class ModelStoreTests : IClassFixture<PackageFactory>, IDisposable
{
    private static readonly float[] Setosa = [5.1f, 3.5f, 1.4f, 0.2f];
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly TrustStore _trust;

    public ModelStoreTests(PackageFactory factory)
    {
        _factory = factory;
        _trust = factory.NewTrustStore();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_ValidPackage_GatesActivatesAndServes()
    {
        using var store = Open();

        var result = store.Install(_factory.SignedIris());

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        Assert.True(result.Gate!.Passed);
        Assert.Equal(45, result.Gate.EndToEndCases);
        Assert.Equal(0.9333, result.Gate.MetricValue, 4);
        Assert.Equal("1.0.0", store.ActiveVersion);
        var served = store.Predict(Row(Setosa));
        Assert.Equal("1.0.0", served.Version);
        Assert.Equal(0L, served.Prediction["label"].AsSpan<long>()[0]);
        Assert.Equal("1.0.0", _trust.GetHighestInstalledVersion("iris-classifier"));
    }

    [Fact]
    public void Install_WithoutActivate_KeepsVersionOnStandbyUntilActivate()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());

        var staged = store.Install(_factory.SignedIrisV2(), expected: null, activate: false);

        Assert.Equal(InstallOutcome.Installed, staged.Outcome);
        Assert.True(staged.Gate!.Passed);
        Assert.Equal("1.0.0", store.Predict(Row(Setosa)).Version);
        Assert.Contains("2.0.0", store.InstalledVersions);
        Assert.Equal(InstallOutcome.Activated, store.Activate("2.0.0").Outcome);
        Assert.Equal("2.0.0", store.Predict(Row(Setosa)).Version);
        Assert.Equal(InstallOutcome.Activated, store.Activate("1.0.0").Outcome); // back to an earlier version: no verification of order, it is installed
        Assert.Equal("1.0.0", store.ActiveVersion);
        Assert.Equal(EdgeErrorCode.PackageNotFound, Assert.Throws<EdgeException>(() => store.Activate("9.9.9")).Code);
    }

    [Fact]
    public void TakeHealth_PredictionsFailuresAndLateGroundTruth_AreCountedPerVersionOnce()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());
        var right = store.Predict(Row(Setosa));          // label 0
        var wrong = store.Predict(Row(Setosa));
        Assert.Throws<EdgeException>(() => store.Predict(Row([float.NaN, 1, 1, 1])));

        store.RecordGroundTruth(right.PredictionId, 0);
        store.RecordGroundTruth(wrong.PredictionId, 2);
        store.RecordGroundTruth(wrong.PredictionId, 2); // a repeated label counts once
        store.RecordGroundTruth(Guid.NewGuid(), 1);     // unknown prediction: ignored
        var health = Assert.Single(store.TakeHealth());

        Assert.Equal(("1.0.0", false, 3L, 1L), (health.Version, health.Shadow, health.Requests, health.Errors));
        Assert.Equal((2L, 1L), (health.GroundTruth, health.Correct));
        Assert.Equal(2, health.LatencyBuckets.Sum());
        Assert.Equal(2.0, health.AbsoluteErrorSum); // |0-0| + |0-2|
        Assert.Empty(store.TakeHealth()); // counts are deltas
    }

    [Fact]
    public void Predict_ServingSuspended_FailsWithTheReasonUntilResumed()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());

        store.SuspendServing("offline too long");
        var ex = Assert.Throws<EdgeException>(() => store.Predict(Row(Setosa)));
        store.ResumeServing();

        Assert.Equal((EdgeErrorCode.OfflineGraceExpired, "offline too long"), (ex.Code, ex.Message));
        Assert.Equal("1.0.0", store.Predict(Row(Setosa)).Version);
    }

    [Fact]
    public void Install_ConfidenceMetricOutOfRange_IsRejectedAndActiveKeepsServing()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());

        var result = store.Install(_factory.SignedIrisV2("2.0.0", metricMin: 0.9));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.False(result.Gate!.Passed);
        Assert.Equal("Accuracy is 0.866667 on 45 confidence cases, outside the acceptable range [0.9, 1]", result.Gate.Reason);
        Assert.Equal("1.0.0", store.ActiveVersion);
        Assert.Equal("1.0.0", store.Predict(Row(Setosa)).Version);
        Assert.True(File.Exists(Path.Combine(_temp.Path, "store", "rejected", "2.0.0.json")));
        Assert.DoesNotContain("2.0.0", store.InstalledVersions);
        Assert.Equal("1.0.0", _trust.GetHighestInstalledVersion("iris-classifier"));
    }

    [Fact]
    public void Install_EndToEndOutputsDiffer_IsRejectedNamingTheCase()
    {
        using var store = Open();
        // The v2 model packaged with v1's expected outputs: its probabilities differ beyond tolerance.
        var mismatched = PackageSigner.Sign(PackageFactory.BuildIris("2.0.0", modelStem: "iris_classifier_v2", e2eStem: "iris_classifier", metricMin: 0.8), _factory.PublisherKey);

        var result = store.Install(mismatched);

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.StartsWith("45 of 45 end-to-end cases fail; first, end-to-end case 0: output 'probabilities'[0] is", result.Gate!.Reason);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_OverMemoryBudget_IsRejected()
    {
        using var store = Open(memoryBudget: 1);

        var result = store.Install(PackageSigner.Sign(PackageFactory.BuildIris(requirements: new PackageRequirements { MemoryBytes = 64 << 20 }), _factory.PublisherKey));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.StartsWith("needs ", result.Gate!.Reason);
        Assert.EndsWith("bytes of memory to load; the budget is 1", result.Gate.Reason);
    }

    [Fact]
    public void Install_UntrustedPackage_ThrowsAndChangesNothing()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());
        using var stranger = SigningKey.Generate();

        var ex = Assert.Throws<EdgeException>(() => store.Install(PackageSigner.Sign(PackageFactory.BuildIris("3.0.0"), stranger)));

        Assert.Equal(EdgeErrorCode.SignatureUnknownKey, ex.Code);
        Assert.Equal("1.0.0", store.ActiveVersion);
        Assert.Empty(Directory.GetFiles(Path.Combine(_temp.Path, "store", "staging")));
    }

    [Fact]
    public void Rollback_AfterUpgrade_ServesPreviousAndSurvivesRestart()
    {
        using (var store = Open())
        {
            store.Install(_factory.SignedIris());
            store.Install(_factory.SignedIrisV2());
            Assert.Equal("2.0.0", store.Predict(Row(Setosa)).Version);

            Assert.Equal("1.0.0", store.Rollback());

            var served = store.Predict(Row(Setosa));
            Assert.Equal("1.0.0", served.Version);
            Assert.Equal(Reference("iris_classifier.onnx"), served.Prediction["probabilities"].ToArray<float>());
        }

        using var reopened = Open();
        Assert.Equal("1.0.0", reopened.ActiveVersion);
        Assert.Equal(["1.0.0", "2.0.0"], reopened.InstalledVersions);
        var ex = Assert.Throws<EdgeException>(() => reopened.Rollback());
        Assert.Equal("There is no earlier version to roll back to.", ex.Message);
    }

    [Fact]
    public void Install_MoreVersionsThanKept_PrunesTheOldest()
    {
        using var store = Open(keep: 2);
        foreach (var v in new[] { "1.0.0", "1.1.0", "1.2.0", "1.3.0" })
        {
            Assert.Equal(InstallOutcome.Activated, store.Install(_factory.SignedIris(v)).Outcome);
        }

        Assert.Equal(["1.2.0", "1.3.0"], store.InstalledVersions);
        Assert.Equal("1.2.0", store.Rollback());
    }

    [Fact]
    public void Install_HostDefersSwap_ActivatesOnlyWhenAllowed()
    {
        var allow = false;
        using var store = Open(canSwap: r => r.FromVersion is null || allow);
        store.Install(_factory.SignedIris());

        var result = store.Install(_factory.SignedIrisV2());

        Assert.Equal(InstallOutcome.Deferred, result.Outcome);
        Assert.Equal("2.0.0", store.PendingVersion);
        Assert.Equal("1.0.0", store.Predict(Row(Setosa)).Version);
        Assert.False(store.TryActivatePending());
        allow = true;
        Assert.True(store.TryActivatePending());
        Assert.Equal("2.0.0", store.Predict(Row(Setosa)).Version);
        Assert.Null(store.PendingVersion);
    }

    [Fact]
    public async Task Predict_WhileVersionsSwapUnderConcurrentLoad_NoPredictionFails()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());
        var expected = new Dictionary<string, float[]> { ["1.0.0"] = Reference("iris_classifier.onnx"), ["2.0.0"] = Reference("iris_classifier_v2.onnx") };
        var failures = 0;
        var served = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var result = store.Predict(Row(Setosa));
                    served.AddOrUpdate(result.Version, 1, (_, n) => n + 1);
                    if (!result.Prediction["probabilities"].ToArray<float>().SequenceEqual(expected[result.Version]))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (EdgeException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        var v2 = _factory.SignedIrisV2();
        for (var i = 0; i < 10; i++)
        {
            if (store.ActiveVersion == "1.0.0")
            {
                Assert.Equal(InstallOutcome.Activated, store.Install(v2).Outcome);
            }
            else
            {
                store.Rollback();
            }

            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, failures);
        Assert.True(served.GetValueOrDefault("1.0.0") > 0 && served.GetValueOrDefault("2.0.0") > 0, string.Join(", ", served));
    }

    [Fact]
    public void SetShadow_CandidateRunsBeside_ReturnsActiveOutputsAndRecordsAgreement()
    {
        using var store = Open();
        store.Install(_factory.SignedIrisV2());
        store.Install(_factory.SignedIris("2.1.0"));
        store.SetShadow("2.0.0");
        using var v1 = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        using var v2 = EdgeModel.Load(Repo.Model("iris_classifier_v2.onnx"));
        var cases = TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), v1.Schema);
        var agreements = 0;

        foreach (var c in cases)
        {
            var served = store.Predict(c.Inputs);
            Assert.Equal("2.1.0", served.Version);
            Assert.Equal(v1.Predict(c.Inputs)["probabilities"].ToArray<float>(), served.Prediction["probabilities"].ToArray<float>());
            agreements += v1.Predict(c.Inputs)["label"].AsSpan<long>()[0] == v2.Predict(c.Inputs)["label"].AsSpan<long>()[0] ? 1 : 0;
            // One at a time, so no comparison is skipped for being over the in-flight limit; the shadow runs on the thread
            // pool, which a busy CI machine can keep waiting for a while.
            var index = cases.IndexOf(c);
            Assert.True(
                SpinWait.SpinUntil(() => store.ShadowStatistics!.Compared + store.ShadowStatistics.Failures >= index + 1, TimeSpan.FromSeconds(30)),
                $"the shadow did not run case {index} within 30 s");
        }

        var stats = store.ShadowStatistics!;
        Assert.Equal(45, stats.Compared);
        Assert.Equal(0, stats.Failures);
        Assert.Equal("2.0.0", stats.ShadowVersion);
        Assert.Equal(agreements / 45.0, stats.LabelAgreementRate, 9);
        Assert.Equal(0, stats.ExactMatchRate);
        Assert.True(stats.MeanAbsoluteDifference > 0);
        store.SetShadow(null);
        Assert.Null(store.ShadowStatistics);
    }

    [Fact]
    public void SetRoutes_WeightedVersions_SplitTrafficAndReportTheServingVersion()
    {
        using var store = Open();
        store.Install(_factory.SignedIrisV2());
        store.Install(_factory.SignedIris("2.1.0"));
        var expected = new Dictionary<string, float[]> { ["2.1.0"] = Reference("iris_classifier.onnx"), ["2.0.0"] = Reference("iris_classifier_v2.onnx") };

        store.SetRoutes([new VersionWeight("2.1.0", 0.8), new VersionWeight("2.0.0", 0.2)]);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 4000; i++)
        {
            var served = store.Predict(Row(Setosa));
            counts[served.Version] = counts.GetValueOrDefault(served.Version) + 1;
            Assert.Equal(expected[served.Version], served.Prediction["probabilities"].ToArray<float>());
        }

        Assert.InRange(counts["2.0.0"] / 4000.0, 0.17, 0.23);
        store.SetRoutes([]);
        Assert.Equal("2.1.0", store.Predict(Row(Setosa)).Version);
        Assert.Throws<EdgeException>(() => store.SetRoutes([new VersionWeight("9.9.9", 1)]));
    }

    [Fact]
    public void Install_PackageFileOverLimit_ThrowsPayloadTooLarge()
    {
        using var store = Open(maxPackageBytes: 1024);
        var path = _temp.File("big.edgepkg");
        File.WriteAllBytes(path, _factory.SignedIris());

        var ex = Assert.Throws<EdgeException>(() => store.Install(path));

        Assert.Equal(EdgeErrorCode.PayloadTooLarge, ex.Code);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Predict_BeforeAnyInstall_ThrowsClearError()
    {
        using var store = Open();

        var ex = Assert.Throws<EdgeException>(() => store.Predict(Row(Setosa)));

        Assert.Equal("No model is active yet; install a package first.", ex.Message);
    }

    [Fact]
    public void Install_AnotherModelName_ThrowsPackageMismatch()
    {
        using var store = Open();
        store.Install(_factory.SignedIris());

        var ex = Assert.Throws<EdgeException>(() => store.Install(_factory.SignedIris("2.0.0", name: "iris-other")));

        Assert.Equal(EdgeErrorCode.PackageMismatch, ex.Code);
    }

    internal static Dictionary<string, EdgeTensor> Row(float[] features) => new() { ["features"] = EdgeTensor.Create(features, [1, 4]) };

    private static float[] Reference(string model)
    {
        using var m = EdgeModel.Load(Repo.Model(model));
        return m.Predict(Row(Setosa))["probabilities"].ToArray<float>();
    }

    private ModelStore Open(int keep = 3, long memoryBudget = 0, Func<SwapRequest, bool>? canSwap = null, long? maxPackageBytes = null) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = Path.Combine(_temp.Path, "store"),
        Trust = _trust,
        KeepVersions = keep,
        MemoryBudgetBytes = memoryBudget,
        CanSwap = canSwap,
        VerifierOptions = PackageFactory.Options(maxPackageBytes: maxPackageBytes),
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });
}
