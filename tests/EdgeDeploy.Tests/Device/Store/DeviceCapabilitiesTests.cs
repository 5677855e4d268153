using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>The hardware check moved out of the verifier (which the server runs without ONNX Runtime) onto the device.</summary>
public sealed class DeviceCapabilitiesTests : IClassFixture<PackageFactory>
{
    private readonly PackageFactory _factory;

    public DeviceCapabilitiesTests(PackageFactory factory) => _factory = factory;

    [Fact]
    public void Check_CudaRequiredOnCpuDevice_ThrowsRequirementsNotMet()
    {
        var package = PackageSigner.Sign(PackageFactory.BuildIris(requirements: new PackageRequirements { ExecutionProvider = "cuda" }), _factory.PublisherKey);

        // The verifier alone accepts it: whether CUDA is there is the device's question.
        var manifest = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options()).Verify(package).Manifest;

        var ex = Assert.Throws<EdgeException>(() => new DeviceCapabilities(["CPUExecutionProvider"]).Check(manifest));
        Assert.Equal(EdgeErrorCode.RequirementsNotMet, ex.Code);
        Assert.Contains("needs the CUDA execution provider", ex.Message);
        new DeviceCapabilities(["CUDAExecutionProvider", "CPUExecutionProvider"]).Check(manifest);
        Assert.Equal("cuda", manifest.Requirements.ExecutionProvider);
    }

    [Fact]
    public void Install_CudaPackageOnCpuDevice_RefusedAndNothingInstalled()
    {
        using var temp = new TempDirectory();
        var package = PackageSigner.Sign(PackageFactory.BuildIris(requirements: new PackageRequirements { ExecutionProvider = "cuda" }), _factory.PublisherKey);
        using var store = ModelStore.Open(new ModelStoreOptions
        {
            Directory = temp.Path,
            Trust = _factory.NewTrustStore(),
            VerifierOptions = PackageFactory.Options(),
            Capabilities = new DeviceCapabilities(["CPUExecutionProvider"]),
        });

        var ex = Assert.Throws<EdgeException>(() => store.Install(package));

        Assert.Equal(EdgeErrorCode.RequirementsNotMet, ex.Code);
        Assert.Null(store.ActiveVersion);
        Assert.Empty(store.InstalledVersions);
    }
}
