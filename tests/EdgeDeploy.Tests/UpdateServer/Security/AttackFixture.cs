using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>What the attack tests share: reporting as a device, and reading back what the server holds.</summary>
internal static class AttackFixture
{
    /// <summary>A real server with iris 1.0.0 (the sample package), 2.0.0 and 3.0.0 published: the versions attacks aim at.</summary>
    public static async Task<UpdateServerHost> StartWithIrisVersionsAsync()
    {
        var server = await UpdateServerHost.StartAsync();
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));
        await server.PublishAsync(SamplePackages.Iris("3.0.0", "iris_classifier_v2"));
        return server;
    }

    public const string Model = "iris-classifier";

    public static async Task<ReportAck> ReportHealthAsync(UpdateServerHost server, string token, string version, long requests, long errors, long groundTruth = 0, long correct = 0) =>
        await server.Devices.ReportHealthAsync(
            new HealthReport { Versions = { new VersionStats { Model = Model, Version = version, Requests = requests, Errors = errors, GroundTruth = groundTruth, Correct = correct } } },
            UpdateServerHost.Bearer(token));

    public static async Task<Rollout> CreateRolloutAsync(UpdateServerHost server, CreateRolloutRequest request)
    {
        request.Model = Model;
        return await server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator);
    }

    public static async Task<Rollout> RolloutAsync(UpdateServerHost server, string id) =>
        await server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator);

    /// <summary>Every rollout as the operator sees it (state, reason, stage, arms, health, counts).</summary>
    public static async Task<ListRolloutsResponse> RolloutsAsync(UpdateServerHost server) =>
        await server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Operator);

    public static async Task<ListDevicesResponse> DevicesAsync(UpdateServerHost server) =>
        await server.Registry.ListDevicesAsync(new ListDevicesRequest(), UpdateServerHost.Operator);

    /// <summary>Registers <paramref name="count"/> devices named prefix-0, prefix-1, … carrying <paramref name="tag"/>.</summary>
    public static async Task<List<string>> RegisterAsync(UpdateServerHost server, string prefix, int count, string tag)
    {
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            tokens.Add(await server.RegisterAsync($"{prefix}-{i}", tag));
        }

        return tokens;
    }
}
