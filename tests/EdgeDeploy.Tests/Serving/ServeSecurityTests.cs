extern alias serving;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;
using Inference;
using serving::EdgeDeploy.Serving;

namespace EdgeDeploy.Tests.Serving;

/// <summary>Overload, exposure and authentication: each claim is an attack on the real server, refused, with nothing served.</summary>
public sealed class ServeSecurityTests(PackageFactory factory) : IClassFixture<PackageFactory>
{
    private const string Token = "serve-token-0123456789abcdef";
    private const string InferPath = "/v2/models/iris-classifier/infer";
    private static readonly string Body = """{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""";

    private static StringContent Json() => new(Body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Infer_SlotsAndQueueFull_Refused429AndResourceExhaustedThenQueuedOneCompletes()
    {
        await using var host = await ServeHost.StartAsync(factory, maxConcurrency: 1, maxQueue: 1);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // The test holds the one slot, so what follows is deterministic: one request waits in the queue, the next is refused.
        var held = await host.Server.Limiter.AcquireAsync(CancellationToken.None);
        Assert.True(held.IsAcquired);
        var queued = host.Http.PostAsync(InferPath, Json());
        await Poll.UntilAsync(() => host.Server.Limiter.Statistics!.CurrentQueuedCount > 0, () => "the request never reached the limiter's queue", interval: TimeSpan.FromMilliseconds(10));
        Assert.Equal(1, host.Server.Limiter.Statistics!.CurrentQueuedCount);
        var refused = await host.Http.PostAsync(InferPath, Json());
        var refusedGrpc = await Assert.ThrowsAsync<RpcException>(async () => await grpc.ModelInferAsync(ServeGrpcTests.Request(ServeHost.Setosa)));
        var liveUnderLoad = await host.Http.GetAsync("/v2/health/live");
        Assert.False(queued.IsCompleted);
        held.Dispose();
        var completed = await queued;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.StartsWith("ResourceExhausted: ", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, refusedGrpc.StatusCode);
        Assert.Equal(HttpStatusCode.OK, liveUnderLoad.StatusCode); // probes are not limited
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal(1, host.Store.TakeHealth().Sum(h => h.Requests)); // only the queued request ran
    }

    [Theory]
    [InlineData("0.0.0.0:0", null, false)]
    [InlineData("0.0.0.0:0", Token, false)]
    [InlineData("[::]:0", null, true)]
    public async Task Start_NonLoopbackWithoutTlsAndToken_IsRefusedAndBindsNothing(string address, string? token, bool tls)
    {
        using var temp = new TempDirectory();
        var cert = temp.File("cert.pem");
        var key = temp.File("key.pem");
        if (tls)
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=serve", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(key, rsa.ExportPkcs8PrivateKeyPem());
        }

        var options = new InferenceServerOptions
        {
            HttpAddress = address,
            GrpcAddress = null,
            BearerToken = token,
            TlsCertificateFile = tls ? cert : null,
            TlsKeyFile = tls ? key : null,
        };

        var error = Assert.Throws<EdgeException>(options.Validate);
        var started = await Assert.ThrowsAsync<EdgeException>(() => InferenceServer.StartAsync([], options));

        Assert.Equal(EdgeErrorCode.InvalidArgument, error.Code);
        Assert.Contains("TLS", error.Message, StringComparison.Ordinal);
        Assert.Contains("bearer token", error.Message, StringComparison.Ordinal);
        Assert.Equal(EdgeErrorCode.InvalidArgument, started.Code);
    }

    [Fact]
    public async Task Start_TlsAndToken_ServesOnlyOverTlsWithTheToken()
    {
        using var temp = new TempDirectory();
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(temp.File("cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(temp.File("key.pem"), rsa.ExportPkcs8PrivateKeyPem());
        await using var host = await ServeHost.StartAsync(factory, token: Token, tls: (temp.File("cert.pem"), temp.File("key.pem")));
        using var pinned = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString() },
        }) { BaseAddress = host.Server.HttpAddress };

        using var right = new HttpRequestMessage(HttpMethod.Post, InferPath) { Content = Json() };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var served = await pinned.SendAsync(right);
        using var plain = new HttpClient { BaseAddress = new UriBuilder(host.Server.HttpAddress) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(10) };
        HttpStatusCode? plainStatus = null;
        try
        {
            plainStatus = (await plain.PostAsync(InferPath, Json())).StatusCode;
        }
        catch (HttpRequestException)
        {
            // the TLS listener closed the plain-text connection
        }

        Assert.Equal("https", host.Server.HttpAddress.Scheme);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, plainStatus); // nothing served in plain text on a TLS listener
        Assert.Equal(1, host.Store.TakeHealth().Sum(h => h.Requests));
    }

    [Fact]
    public async Task Request_MissingOrWrongToken_Refused401AndUnauthenticatedAndNothingServed()
    {
        await using var host = await ServeHost.StartAsync(factory, token: Token);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var missing = await host.Http.PostAsync(InferPath, Json());
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Post, InferPath) { Content = Json() };
        wrongRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token[..^1] + "X");
        var wrong = await host.Http.SendAsync(wrongRequest);
        var metadata = await host.Http.GetAsync("/v2/models/iris-classifier");
        using var truthRequest = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/iris-classifier/predictions/{Guid.NewGuid():N}/ground_truth") { Content = new StringContent("""{"label": 1}""") };
        var truth = await host.Http.SendAsync(truthRequest);
        var grpcMissing = await Assert.ThrowsAsync<RpcException>(async () => await grpc.ModelInferAsync(ServeGrpcTests.Request(ServeHost.Setosa)));
        var grpcWrong = await Assert.ThrowsAsync<RpcException>(async () => await grpc.ModelInferAsync(ServeGrpcTests.Request(ServeHost.Setosa), new Metadata { { "authorization", "Bearer wrong-token-wrong-token" } }));

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { missing.StatusCode, wrong.StatusCode, metadata.StatusCode, truth.StatusCode });
        var body = await wrong.Content.ReadAsStringAsync();
        Assert.StartsWith("Unauthenticated: ", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("iris", body, StringComparison.Ordinal); // nothing about the model leaks
        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (grpcMissing.StatusCode, grpcWrong.StatusCode));
        Assert.Empty(host.Store.TakeHealth()); // nothing was predicted or labelled

        // The right token is served, over REST and gRPC.
        using var right = new HttpRequestMessage(HttpMethod.Post, InferPath) { Content = Json() };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(right)).StatusCode);
        var answer = await grpc.ModelInferAsync(ServeGrpcTests.Request(ServeHost.Setosa), new Metadata { { "authorization", "Bearer " + Token } });
        Assert.Equal("1.0.0", answer.ModelVersion);
    }
}
