using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Device.Store.Gate;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>
/// A model whose optional output is present or absent by the data (models/optional_positive.onnx), installed through the
/// store: the gate compares "none" like any other expected value, and the served prediction carries it.
/// </summary>
public sealed class OptionalOutputStoreTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly TrustStore _trust;

    public OptionalOutputStoreTests(PackageFactory factory)
    {
        _factory = factory;
        _trust = factory.NewTrustStore();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_OptionalOutputsExpectedPresentAndAbsent_GatePassesAndServesNone()
    {
        using var store = Open();

        var result = store.Install(GatePackages.OptionalPositive(_factory));

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        Assert.True(result.Gate!.Passed, result.Gate.Reason);
        Assert.Equal(3, result.Gate.EndToEndCases);
        var absent = store.Predict(new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([-1f], [1]) });
        var present = store.Predict(new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([4f], [1]) });
        Assert.Equal(EdgeValueKind.None, absent.Prediction.GetValue("positive").Kind);
        Assert.Equal([4f], present.Prediction.GetValue("positive").Tensor.ToArray<float>());
    }

    [Fact]
    public void Install_OptionalExpectedTheOtherWayRound_RejectedNamingTheOutput()
    {
        using var store = Open();

        var result = store.Install(GatePackages.OptionalPositive(_factory, swapExpectations: true));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.StartsWith("3 of 3 end-to-end cases fail; first, end-to-end case 0: output 'positive' is", result.Gate!.Reason);
        Assert.Null(store.ActiveVersion);
    }

    private ModelStore Open() => PackageFactory.OpenStore(Path.Combine(_temp.Path, "store"), _trust);
}
