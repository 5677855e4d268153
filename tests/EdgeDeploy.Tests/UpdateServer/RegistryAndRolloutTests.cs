using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;

namespace EdgeDeploy.Tests.UpdateServer;

public sealed class RegistryAndRolloutTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task PublishPackage_Operator_StoresVersionImmutably()
    {
        var package = File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg"));

        var first = await _server.PublishAsync(package);
        var again = await _server.PublishAsync(package);

        Assert.Equal(("iris-classifier", "1.0.0", false), (first.Name, first.Version, first.AlreadyPresent));
        Assert.True(again.AlreadyPresent);
        Assert.Equal(first.Sha256, again.Sha256);
        var different = SamplePackages.Iris("1.0.0", "iris_classifier_v2");
        var ex = await Assert.ThrowsAsync<RpcException>(() => _server.PublishAsync(different));
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        var listed = await _server.Registry.ListVersionsAsync(new ListVersionsRequest { Model = "iris-classifier" }, UpdateServerHost.Operator);
        var only = Assert.Single(listed.Versions);
        Assert.Contains("\"purpose\":\"Classify iris flowers", only.ManifestJson);
    }

    [Fact]
    public async Task PublishPackage_Tampered_IsRefusedWithTheVerificationReason()
    {
        var tampered = ZipEdit.Replace(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")), "model.onnx", b => [.. b[..^1], (byte)(b[^1] ^ 1)]);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _server.PublishAsync(tampered));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("FileHashMismatch:", ex.Status.Detail);
    }

    [Fact]
    public async Task OperatorCalls_WithoutOrWithDeviceCredential_AreRefused()
    {
        var deviceToken = await _server.RegisterAsync("device-1");
        var package = File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg"));

        var none = await Assert.ThrowsAsync<RpcException>(() => _server.PublishAsync(package, new Metadata()));
        var device = await Assert.ThrowsAsync<RpcException>(() => _server.PublishAsync(package, UpdateServerHost.Bearer(deviceToken)));
        var deploy = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Bearer(deviceToken)));
        var read = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.ListDevicesAsync(new ListDevicesRequest(), UpdateServerHost.Bearer(deviceToken)));

        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, device.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, deploy.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, read.StatusCode);
    }

    [Fact]
    public async Task DeviceCalls_WithoutValidCredential_AreRefused()
    {
        var badEnrollment = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.RegisterAsync(new RegisterRequest { DeviceId = "d", EnrollmentToken = "guess" }));
        var noToken = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest()));
        var wrongToken = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer("not-a-device")));
        var operatorAsDevice = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Operator));

        Assert.All(new[] { badEnrollment, noToken, wrongToken, operatorAsDevice }, e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
    }

    [Fact]
    public async Task CheckIn_CanaryOfThirtyPercent_ReachesExactlyThreeOfTenDevices()
    {
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));
        var tokens = new Dictionary<string, string>();
        for (var i = 0; i < 10; i++)
        {
            tokens[$"device-{i:D2}"] = await _server.RegisterAsync($"device-{i:D2}");
        }

        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var canary = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", Strategy = RolloutStrategy.Canary, CanaryPercent = 30 }, UpdateServerHost.Operator);

        using var serverKey = SigningKey.FromPem(_server.AssignmentPublicKeyPem);
        var versions = new Dictionary<string, string>();
        foreach (var (device, token) in tokens)
        {
            var response = await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
            Assert.True(serverKey.Verify(response.Assignment.Span, response.Signature.Span));
            var assignment = Assignment.Parser.ParseFrom(response.Assignment);
            Assert.Equal(device, assignment.DeviceId);
            Assert.InRange(assignment.ExpiresUnixMs - assignment.IssuedUnixMs, 1, 10 * 60 * 1000);
            versions[device] = Assert.Single(assignment.Versions).Version;
        }

        Assert.Equal(3, versions.Values.Count(v => v == "2.0.0"));
        Assert.Equal(7, versions.Values.Count(v => v == "1.0.0"));
        Assert.Equal(3, canary.TargetedDevices);

        // Stable: the same devices stay in the canary on the next check-in.
        foreach (var (device, token) in tokens)
        {
            var again = Assignment.Parser.ParseFrom((await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token))).Assignment);
            Assert.Equal(versions[device], again.Versions[0].Version);
        }
    }

    [Fact]
    public async Task CheckIn_TagTargetedRollout_OnlyReachesTaggedDevices()
    {
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        var tagged = await _server.RegisterAsync("lab-1", "lab");
        var other = await _server.RegisterAsync("field-1");
        var request = new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce };
        request.TargetTags.Add("lab");
        await _server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator);

        var labAssignment = Assignment.Parser.ParseFrom((await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(tagged))).Assignment);
        var fieldAssignment = Assignment.Parser.ParseFrom((await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(other))).Assignment);

        Assert.Single(labAssignment.Versions);
        Assert.Empty(fieldAssignment.Versions);
    }
}

/// <summary>Sample-publisher-signed iris packages, valid for years, for server and agent tests.</summary>
internal static class SamplePackages
{
    public static byte[] Iris(string version, string modelStem = "iris_classifier", double metricMin = 0.8)
    {
        using var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key"));
        return PackageSigner.Sign(PackageFactory.BuildIris(version, validity: TimeSpan.FromDays(3650), modelStem: modelStem, metricMin: metricMin), key);
    }
}
