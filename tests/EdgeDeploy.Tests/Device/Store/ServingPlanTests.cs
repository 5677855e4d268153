using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

public sealed class ServingPlanTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly TrustStore _trust;

    public ServingPlanTests(PackageFactory factory)
    {
        _factory = factory;
        _trust = factory.NewTrustStore();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void FromAssignment_PerVersionRoles_BecomeServingShadowAndStandby()
    {
        var plan = ServingPlan.FromAssignment(
        [
            new AssignedVersion { Version = "1.0.0", Weight = 0.9 },
            new AssignedVersion { Version = "2.0.0", Weight = 0.1 },
            new AssignedVersion { Version = "3.0.0", Shadow = true },
            new AssignedVersion { Version = "4.0.0", Standby = true },
            new AssignedVersion { Version = "5.0.0", Weight = 0 },
        ]);

        Assert.Equal([new VersionWeight("1.0.0", 0.9), new VersionWeight("2.0.0", 0.1)], plan.Serving);
        Assert.Equal(["3.0.0"], plan.Shadow);
        Assert.Equal(["4.0.0"], plan.Standby);
        Assert.True(plan.IsServing("2.0.0"));
        Assert.False(plan.IsServing("5.0.0"));
    }

    [Fact]
    public void Apply_TwoServingVersions_ActivatesTheHeaviestAndSplitsTraffic()
    {
        using var store = Open();
        store.Install(_factory.SignedIrisV2());
        store.Install(_factory.SignedIris("2.1.0"), expected: null, activate: false);

        store.Apply(new ServingPlan([new VersionWeight("2.0.0", 0.2), new VersionWeight("2.1.0", 0.8)], [], []));

        Assert.Equal("2.1.0", store.ActiveVersion);
        var served = Enumerable.Range(0, 400).Select(_ => store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f])).Version).ToHashSet();
        Assert.Equal(["2.0.0", "2.1.0"], served.Order());
    }

    [Fact]
    public void Apply_VersionsNotInstalled_AreLeftOutAndTheRestIsApplied()
    {
        using var store = Open();
        store.Install(_factory.SignedIrisV2());
        store.Install(_factory.SignedIris("2.1.0"), expected: null, activate: false);

        store.Apply(new ServingPlan([new VersionWeight("9.0.0", 1), new VersionWeight("2.0.0", 0.5)], ["8.0.0", "2.1.0"], ["7.0.0"]));

        Assert.Equal("2.0.0", store.ActiveVersion);
        Assert.Equal("2.1.0", store.ShadowStatistics?.ShadowVersion);
        store.Apply(new ServingPlan([new VersionWeight("2.0.0", 1)], [], ["2.1.0"]));
        Assert.Null(store.ShadowStatistics);
        Assert.Equal(InstallOutcome.Activated, store.Activate("2.1.0").Outcome); // kept on standby: instant
    }

    [Fact]
    public void Apply_HostDefersTheSwap_KeepsServingAndLeavesThePendingVersion()
    {
        var allow = false;
        using var store = Open(_ => allow);
        allow = true;
        store.Install(_factory.SignedIrisV2());
        store.Install(_factory.SignedIris("2.1.0"), expected: null, activate: false);
        allow = false;

        store.Apply(new ServingPlan([new VersionWeight("2.1.0", 1)], [], []));

        Assert.Equal("2.0.0", store.ActiveVersion);
        Assert.Equal("2.1.0", store.PendingVersion);
    }

    private ModelStore Open(Func<SwapRequest, bool>? canSwap = null) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = Path.Combine(_temp.Path, "store"),
        Trust = _trust,
        CanSwap = canSwap,
        VerifierOptions = PackageFactory.Options(),
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });
}
