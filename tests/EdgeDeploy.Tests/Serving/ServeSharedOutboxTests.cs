using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Serving;

/// <summary>
/// `edge serve` and the update agent run as two processes on one device and share one telemetry outbox: serve records
/// predictions, the agent's process records ground truth and drains and acknowledges batches while serve keeps writing.
/// Every record must come out exactly once.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class ServeSharedOutboxTests(AotArtifacts artifacts)
{
    private const int Requests = 120;

    [Fact]
    public async Task EdgeServe_OutboxSharedWithAnotherProcessDrainingIt_EveryRecordComesOutExactlyOnce()
    {
        var edge = artifacts.RequireEdge();
        using var temp = new TempDirectory();
        var trust = temp.File("trust");
        var store = temp.File("store");
        var outbox = temp.File("telemetry.db");
        SampleTrust.Create(trust);
        var install = ProcessRunner.Run(edge, ["store", "install", Path.Combine(Repo.Models, "iris_classifier.edgepkg"), "--store", store, "--trust", trust], TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install.All);

        using var serve = Process.Start(new ProcessStartInfo(edge, ["serve", "--store", store, "--trust", trust, "--listen", "127.0.0.1:0", "--grpc-listen", "off", "--telemetry", outbox])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var drained = new List<OutboxRecord>();
        try
        {
            var rest = await ServeCliTests.RestAddressAsync(serve);
            var output = serve.StandardOutput.ReadToEndAsync(); // keep both pipes drained: a full pipe would stall serve
            var errors = serve.StandardError.ReadToEndAsync();

            // This process plays the agent: its own recorder on the same file, labelling what serve answered and
            // uploading (draining and acknowledging) while serve is still writing.
            using var agent = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = outbox });
            using var http = new HttpClient { BaseAddress = new Uri(rest), Timeout = TimeSpan.FromSeconds(30) };
            var served = new HashSet<Guid>();
            for (var i = 0; i < Requests; i++)
            {
                var id = await InferAsync(http);
                Assert.True(served.Add(id));
                agent.RecordGroundTruth(id, 0);
                if (i % 10 == 9)
                {
                    Assert.True(agent.Flush(TimeSpan.FromSeconds(10)));
                    Drain(agent, drained);
                }
            }

            // A graceful stop (SIGTERM), as systemd stops it: serve's recorder commits what it still holds.
            using (var term = Process.Start("kill", ["-TERM", serve.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await serve.WaitForExitAsync(exit.Token);
            Assert.True(serve.ExitCode == 0, $"edge serve exited {serve.ExitCode}: {await errors}{await output}");
            Assert.True(agent.Flush(TimeSpan.FromSeconds(10)));
            Drain(agent, drained);

            var predictions = drained.Where(r => r.Kind == TelemetryRecordKind.Prediction).Select(r => TelemetryCodec.DecodePrediction(r.Payload).PredictionId).ToList();
            var labels = drained.Where(r => r.Kind == TelemetryRecordKind.GroundTruth).Select(r => TelemetryCodec.DecodeGroundTruth(r.Payload).PredictionId).ToList();
            Assert.Equal(drained.Count, drained.Select(r => r.Id).Distinct().Count()); // no record read twice
            Assert.Equal(served.Order(), predictions.Order());
            Assert.Equal(served.Order(), labels.Order());
            Assert.Null(agent.ReadBatch());
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
                await serve.WaitForExitAsync();
            }
        }
    }

    private static void Drain(TelemetryRecorder agent, List<OutboxRecord> drained)
    {
        for (var i = 0; i < 1000 && agent.ReadBatch(25) is { } batch; i++)
        {
            drained.AddRange(batch.Records);
            agent.Acknowledge(batch);
        }
    }

    private static async Task<Guid> InferAsync(HttpClient http)
    {
        using var response = await http.PostAsync(
            "/v2/models/iris-classifier/infer",
            new StringContent("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return Guid.Parse(JsonDocument.Parse(body).RootElement.GetProperty("parameters").GetProperty("prediction_id").GetString()!);
    }
}
