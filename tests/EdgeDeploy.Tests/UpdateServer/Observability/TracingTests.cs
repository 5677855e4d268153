using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Observability;

/// <summary>The server's spans, from check-in through planning to signing and storage, with OTLP export configured.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task CheckIn_OtlpConfigured_SpansNestFromCheckInThroughPlanningAndSigning()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "EdgeDeploy.UpdateServer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        // The collector address is closed: export fails in the background and the server serves regardless.
        await using var server = await UpdateServerHost.StartAsync(settings: ["--EdgeDeploy:Otlp:Endpoint=http://127.0.0.1:9", "--EdgeDeploy:Otlp:Protocol=http/protobuf"]);
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(server, "traced-1");
        await device.CheckInAsync();
        await server.FlushCheckInsAsync();

        var checkIns = spans.Where(s => s.OperationName == "edgedeploy.checkin" && (string?)s.GetTagItem("edgedeploy.device.id") == "traced-1").ToList();
        Assert.NotEmpty(checkIns);
        var first = checkIns.MinBy(s => s.StartTimeUtc)!;
        var children = spans.Where(s => s.ParentSpanId == first.SpanId).ToList();
        Assert.Contains(children, s => s.OperationName == "edgedeploy.sign");
        var plan = Assert.Single(children, s => s.OperationName == "edgedeploy.plan");
        Assert.Contains(spans, s => s.OperationName == "edgedeploy.store.snapshot" && s.ParentSpanId == plan.SpanId); // the rollout was new: the planner read storage
        Assert.Contains(spans, s => s.OperationName == "edgedeploy.store.checkins");
    }
}
