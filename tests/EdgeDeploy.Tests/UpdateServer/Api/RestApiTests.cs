using System.Net;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeDeploy.Tests.UpdateServer.Api;

/// <summary>
/// The operator API as REST/JSON (gRPC JSON transcoding) on the server's HTTP/1.1 listener, called the way curl calls it:
/// plain HTTP/1.1 requests with a bearer header. Every answer is checked against what the gRPC API (which the CLI uses)
/// says, and every refusal against the gRPC one: same roles, same audit, nothing changed.
/// </summary>
public sealed class RestApiTests : IAsyncLifetime
{
    private const string Model = "iris-classifier";

    /// <summary>Client streaming cannot be transcoded; these stay gRPC only (README says so).</summary>
    private static readonly string[] GrpcOnly = ["PublishPackage"];

    private readonly HttpClient _http = new() { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(10) };
    private UpdateServerHost _server = null!;
    private AdminService.AdminServiceClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        _admin = new AdminService.AdminServiceClient(_server.Channel);
        _http.BaseAddress = _server.HttpAddress;
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public void HttpRules_EveryOperatorMethod_HasOneRestRouteUnderApiV1AndDeviceServicesHaveNone()
    {
        var routes = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var method in new[] { RegistryService.Descriptor, AdminService.Descriptor }.SelectMany(s => s.Methods))
        {
            var rule = method.GetOptions()?.GetExtension(AnnotationsExtensions.Http);
            if (GrpcOnly.Contains(method.Name))
            {
                Assert.True(method.IsClientStreaming, $"{method.Name} is listed gRPC-only but could be transcoded: give it a google.api.http rule");
                Assert.Null(rule);
                continue;
            }

            if (rule is null)
            {
                missing.Add(method.FullName);
                continue;
            }

            var (verb, path) = Route(rule);
            Assert.StartsWith("/api/v1/", path);
            Assert.Empty(rule.AdditionalBindings);
            Assert.Equal(verb is "POST" ? "*" : string.Empty, rule.Body); // a body only where the verb has one, and then the whole request
            Assert.True(routes.TryAdd($"{verb} {path}", method.FullName), $"{verb} {path} is taken twice");
        }

        Assert.True(missing.Count == 0, "operator RPCs without a google.api.http rule (add one in the .proto, and a README line): " + string.Join(", ", missing));
        Assert.All(new[] { DeviceService.Descriptor, TelemetryService.Descriptor }.SelectMany(s => s.Methods), m => Assert.Null(m.GetOptions()?.GetExtension(AnnotationsExtensions.Http)));
    }

    [Fact]
    public async Task Rollout_CreateStatusPauseOverRest_AnswersWhatGrpcAnswersAndIsAudited()
    {
        await _server.RegisterAsync("kiosk-1");

        using var create = Request(HttpMethod.Post, "/api/v1/rollouts", UpdateServerHost.OperatorToken,
            """{"model":"iris-classifier","version":"1.0.0","strategy":"ROLLOUT_STRATEGY_STAGED","stages":[50,100],"onFailure":"FAILURE_ACTION_PAUSE","gates":{"maxErrorRate":0.01}}""");
        create.Headers.Add("edge-reason", "ticket 42");
        var created = await SendAsync<Rollout>(create, HttpStatusCode.OK);
        var status = await SendAsync<Rollout>(Request(HttpMethod.Get, $"/api/v1/rollouts/{created.Id}", UpdateServerHost.OperatorToken), HttpStatusCode.OK);
        var list = await SendAsync<ListRolloutsResponse>(Request(HttpMethod.Get, $"/api/v1/rollouts?model={Model}", UpdateServerHost.OperatorToken), HttpStatusCode.OK);

        var grpc = await RolloutAsync(created.Id);
        Assert.Equal((Model, "1.0.0", RolloutStrategy.Staged, "active", 1), (created.Model, created.Version, created.Strategy, created.State, created.TargetedDevices));
        Assert.Equal(0.01, created.Gates.MaxErrorRate);
        Assert.Equal(WithoutHistory(grpc), created); // actions answer the rollout; GetRollout adds its history
        Assert.Equal(grpc, status);
        Assert.Equal(("operator", "created"), (status.History[0].Actor, status.History[0].Action));
        Assert.Equal(await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest { Model = Model }, UpdateServerHost.Operator), list);

        var paused = await SendAsync<Rollout>(Request(HttpMethod.Post, $"/api/v1/rollouts/{created.Id}:pause", UpdateServerHost.OperatorToken, """{"reason":"maintenance window"}"""), HttpStatusCode.OK);

        Assert.Equal(("paused", "paused by operator: maintenance window"), (paused.State, paused.StateReason));
        Assert.Equal(WithoutHistory(await RolloutAsync(created.Id)), paused);
        var audit = (await _admin.ListAuditAsync(new ListAuditRequest(), UpdateServerHost.Operator)).Entries;
        Assert.Equal(("PauseRollout", "operator", "rollout " + created.Id, "maintenance window", "ok"), Entry(audit[0]));
        Assert.Equal(("CreateRollout", "operator", $"model {Model} 1.0.0", "ticket 42", "ok"), Entry(audit[1])); // the reason from the edge-reason header

        // The JSON itself is protobuf's JSON as `edge --json` prints it: int64 as strings, enums by name, defaults written.
        using var raw = await _http.SendAsync(Request(HttpMethod.Get, $"/api/v1/rollouts/{created.Id}", UpdateServerHost.OperatorToken));
        using var json = JsonDocument.Parse(await raw.Content.ReadAsStringAsync());
        Assert.StartsWith("application/json", raw.Content.Headers.ContentType?.ToString());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("createdUnixMs").ValueKind);
        Assert.Equal("ROLLOUT_STRATEGY_STAGED", json.RootElement.GetProperty("strategy").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("failedDevices").GetInt32());
    }

    [Fact]
    public async Task PauseRollout_ViewerOverRest_Is403NothingChangesAndTheAttemptIsAudited()
    {
        var viewer = (await _admin.CreateOperatorAsync(new CreateOperatorRequest { Name = "vera", Role = "viewer" }, UpdateServerHost.Operator)).Token;
        var rollout = await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = Model, Version = "1.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 100 } }, UpdateServerHost.Operator);
        var before = await RolloutAsync(rollout.Id);

        var (status, body) = await SendRawAsync(Request(HttpMethod.Post, $"/api/v1/rollouts/{rollout.Id}:pause", viewer, """{"reason":"vera was here"}"""));
        var create = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts", viewer, """{"model":"iris-classifier","version":"1.0.0"}"""));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(((int)StatusCode.PermissionDenied, "Operator vera is a viewer; PauseRollout needs the deployer role. Nothing was changed."), Error(body));
        Assert.Equal(HttpStatusCode.Forbidden, create.Status);
        Assert.Equal(before, await RolloutAsync(rollout.Id));
        Assert.Single((await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Operator)).Rollouts);

        // What a viewer may read, it reads over REST too.
        Assert.Equal(before, await SendAsync<Rollout>(Request(HttpMethod.Get, $"/api/v1/rollouts/{rollout.Id}", viewer), HttpStatusCode.OK));
        var audit = (await _admin.ListAuditAsync(new ListAuditRequest { Operator = "vera" }, UpdateServerHost.Operator)).Entries;
        Assert.Equal(["CreateRollout", "PauseRollout"], audit.Select(e => e.Action));
        Assert.Equal(("viewer", "rollout " + rollout.Id, "vera was here"), (audit[1].Role, audit[1].Target, audit[1].Reason));
        Assert.StartsWith("PermissionDenied: Operator vera is a viewer;", audit[1].Outcome);
    }

    [Fact]
    public async Task RestCalls_WithoutOrWithAWrongToken_Are401And403AndChangeNothing()
    {
        var deviceToken = await _server.RegisterAsync("kiosk-1");
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = Model, Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var before = await RolloutAsync(rollout.Id);

        var none = await SendRawAsync(Request(HttpMethod.Post, $"/api/v1/rollouts/{rollout.Id}:pause", token: null, "{}"));
        var noneRead = await SendRawAsync(Request(HttpMethod.Get, "/api/v1/rollouts", token: null));
        var guess = await SendRawAsync(Request(HttpMethod.Post, $"/api/v1/rollouts/{rollout.Id}:pause", "guess", "{}"));
        var device = await SendRawAsync(Request(HttpMethod.Get, "/api/v1/devices", deviceToken));

        Assert.Equal((HttpStatusCode.Unauthorized, (int)StatusCode.Unauthenticated), (none.Status, Error(none.Body).Code));
        Assert.Equal("Missing \"authorization: Bearer <token>\" metadata.", Error(none.Body).Message);
        Assert.Equal(HttpStatusCode.Unauthorized, noneRead.Status);
        Assert.Equal((HttpStatusCode.Forbidden, (int)StatusCode.PermissionDenied), (guess.Status, Error(guess.Body).Code));
        Assert.Equal(HttpStatusCode.Forbidden, device.Status);
        Assert.DoesNotContain("kiosk-1", device.Body);
        Assert.Equal(before, await RolloutAsync(rollout.Id));
    }

    [Fact]
    public async Task GetRollout_UnknownId_Is404WithTheCodeAndMessageInTheBody()
    {
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = "r-nope" }, UpdateServerHost.Operator));

        var (status, body) = await SendRawAsync(Request(HttpMethod.Get, "/api/v1/rollouts/r-nope", UpdateServerHost.OperatorToken));
        var pause = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts/r-nope:pause", UpdateServerHost.OperatorToken, "{}"));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(((int)StatusCode.NotFound, grpc.Status.Detail), Error(body));
        Assert.Equal(HttpStatusCode.NotFound, pause.Status);
        Assert.Equal(((int)StatusCode.NotFound, grpc.Status.Detail), Error(pause.Body));
    }

    [Fact]
    public async Task CreateRollout_MalformedOrWrongJson_Is400AndCreatesNothing()
    {
        var malformed = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts", UpdateServerHost.OperatorToken, """{"model":"iris-classifier","version":"""));
        var wrongType = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts", UpdateServerHost.OperatorToken, """{"model":"iris-classifier","version":"1.0.0","stages":"fifty"}"""));
        var unknownStrategy = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts", UpdateServerHost.OperatorToken, """{"model":"iris-classifier","version":"1.0.0","strategy":"ROLLOUT_STRATEGY_YOLO"}"""));
        var rejected = await SendRawAsync(Request(HttpMethod.Post, "/api/v1/rollouts", UpdateServerHost.OperatorToken, """{"model":"iris-classifier","version":"9.9.9"}"""));

        Assert.All([malformed, wrongType, unknownStrategy], r => Assert.Equal(HttpStatusCode.BadRequest, r.Status));
        Assert.Equal((int)StatusCode.InvalidArgument, Error(malformed.Body).Code);
        Assert.NotEqual(HttpStatusCode.OK, rejected.Status); // the service's own refusal, as over gRPC
        Assert.Empty((await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Operator)).Rollouts);
    }

    [Fact]
    public async Task RestRoutes_OnlyOnTheHttp1Listener_NotOnTheGrpcPort()
    {
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(10) };
        using var onGrpcPort = new HttpRequestMessage(HttpMethod.Get, new Uri(_server.Address, "/api/v1/rollouts")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        onGrpcPort.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", UpdateServerHost.OperatorToken);

        using var response = await h2c.SendAsync(onGrpcPort);
        var versions = await SendAsync<ListVersionsResponse>(Request(HttpMethod.Get, "/api/v1/versions", UpdateServerHost.OperatorToken), HttpStatusCode.OK);

        Assert.Equal((HttpStatusCode.NotFound, HttpVersion.Version20), (response.StatusCode, response.Version));
        Assert.Equal(await _server.Registry.ListVersionsAsync(new ListVersionsRequest(), UpdateServerHost.Operator), versions);
    }

    private static (string Verb, string Path) Route(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("GET", rule.Get),
        HttpRule.PatternOneofCase.Post => ("POST", rule.Post),
        HttpRule.PatternOneofCase.Put => ("PUT", rule.Put),
        HttpRule.PatternOneofCase.Delete => ("DELETE", rule.Delete),
        HttpRule.PatternOneofCase.Patch => ("PATCH", rule.Patch),
        _ => throw new InvalidOperationException(rule.ToString()),
    };

    private static (string, string, string, string, string) Entry(AuditEntry e) => (e.Action, e.Operator, e.Target, e.Reason, e.Outcome);

    private static (int Code, string Message) Error(string body)
    {
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("code").GetInt32(), json.RootElement.GetProperty("message").GetString()!);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendRawAsync(HttpRequestMessage request)
    {
        using (request)
        using (var response = await _http.SendAsync(request))
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, HttpStatusCode expected)
        where T : IMessage<T>, new()
    {
        var (status, body) = await SendRawAsync(request);
        Assert.True(status == expected, $"{request.Method} {request.RequestUri}: {(int)status} {body}");
        return JsonParser.Default.Parse<T>(body);
    }

    private static Rollout WithoutHistory(Rollout r)
    {
        var copy = r.Clone();
        copy.History.Clear();
        return copy;
    }

    private async Task<Rollout> RolloutAsync(string id) => await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator);
}
