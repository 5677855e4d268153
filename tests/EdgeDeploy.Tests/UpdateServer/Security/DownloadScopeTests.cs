using System.Security.Cryptography;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>A device downloads only the packages its assignment names, not any published one by its hash.</summary>
public sealed class DownloadScopeTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private byte[] _v1 = null!;
    private byte[] _v2 = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        _v1 = File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg"));
        _v2 = SamplePackages.Iris("2.0.0", "iris_classifier_v2");
        await _server.PublishAsync(_v1);
        await _server.PublishAsync(_v2);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Download_PublishedPackageNotInTheAssignment_IsPermissionDeniedAndNothingIsSent()
    {
        await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce });
        var token = await _server.RegisterAsync("sensor-1");
        var otherSha = Convert.ToHexStringLower(SHA256.HashData(_v2));
        var served = _server.Metrics.BytesServed;

        var (chunks, error) = await DownloadAsync(token, otherSha);
        var servedAfterRefusal = _server.Metrics.BytesServed;
        var (assigned, none) = await DownloadAsync(token, Convert.ToHexStringLower(SHA256.HashData(_v1)));

        Assert.Equal(0, chunks);
        Assert.Equal(StatusCode.PermissionDenied, error!.StatusCode);
        Assert.Equal($"Device sensor-1 is not assigned a package with SHA-256 {otherSha}; only assigned packages may be downloaded.", error.Status.Detail);
        Assert.Equal(served, servedAfterRefusal);
        Assert.True(assigned > 0);
        Assert.Null(none);
    }

    private async Task<(int Chunks, RpcException? Error)> DownloadAsync(string token, string sha)
    {
        using var call = _server.Devices.Download(new DownloadRequest { Sha256 = sha }, UpdateServerHost.Bearer(token), DateTime.UtcNow.AddSeconds(30));
        var chunks = 0;
        try
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
                chunks++;
            }

            return (chunks, null);
        }
        catch (RpcException ex)
        {
            return (chunks, ex);
        }
    }
}
