using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device;

public sealed class OptionsValidationTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();

    public OptionsValidationTests(PackageFactory factory) => _factory = factory;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ModelStoreOpen_KeepVersionsZero_ThrowsInvalidArgumentNamingIt()
    {
        var ex = Assert.Throws<EdgeException>(() => ModelStore.Open(new ModelStoreOptions { Directory = _temp.File("store"), Trust = _factory.NewTrustStore(), KeepVersions = 0 }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Equal("KeepVersions must be at least 1.", ex.Message);
    }

    [Fact]
    public void TelemetryRecorderOpen_SampleRateAboveOne_ThrowsInvalidArgumentNamingIt()
    {
        var ex = Assert.Throws<EdgeException>(() => TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = _temp.File("t.db"), SampleRate = 1.5 }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("SampleRate", ex.Message);
    }

    [Theory]
    [InlineData("relative", 60, "ServerAddress")]
    [InlineData("http://updates.example:5000", 0, "PollInterval")]
    public void UpdateAgentCreate_InvalidOptions_ThrowsInvalidArgumentNamingTheSetting(string address, int pollSeconds, string setting)
    {
        using var store = ModelStore.Open(new ModelStoreOptions { Directory = _temp.File("store"), Trust = _factory.NewTrustStore() });

        var ex = Assert.Throws<EdgeException>(() => UpdateAgent.Create(new UpdateAgentOptions
        {
            ServerAddress = new Uri(address, UriKind.RelativeOrAbsolute),
            DeviceId = "d-1",
            EnrollmentToken = "token",
            StateDirectory = _temp.File("agent"),
            AssignmentPublicKeyPem = "-----BEGIN PUBLIC KEY-----",
            Store = store,
            PollInterval = TimeSpan.FromSeconds(pollSeconds),
        }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.StartsWith("UpdateAgentOptions." + setting, ex.Message);
    }

    [Theory]
    [InlineData("http://updates.example:5000", "ca.pem", null, "UpdateAgentOptions.ServerCaFile, ClientCertificateFile and ClientKeyFile need an https:// ServerAddress")]
    [InlineData("https://updates.example:5001", null, "device.key", "UpdateAgentOptions.ClientKeyFile needs ClientCertificateFile")]
    [InlineData("https://updates.example:5001", "missing-ca.pem", null, "Cannot read the CA file")]
    public void UpdateAgentCreate_UnusableTlsSettings_ThrowsInvalidArgument(string address, string? caFile, string? keyFile, string message)
    {
        using var store = ModelStore.Open(new ModelStoreOptions { Directory = _temp.File("store"), Trust = _factory.NewTrustStore() });

        var ex = Assert.Throws<EdgeException>(() => UpdateAgent.Create(new UpdateAgentOptions
        {
            ServerAddress = new Uri(address),
            ServerCaFile = caFile is null ? null : _temp.File(caFile),
            ClientKeyFile = keyFile is null ? null : _temp.File(keyFile),
            DeviceId = "d-1",
            EnrollmentToken = "token",
            StateDirectory = _temp.File("agent"),
            AssignmentPublicKeyPem = "-----BEGIN PUBLIC KEY-----",
            Store = store,
        }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.StartsWith(message, ex.Message);
    }
}
