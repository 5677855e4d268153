using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Webhooks;

/// <summary>
/// samples/retrain/receiver.py (Python, standard library) against the real server: it verifies the server's signature,
/// queues the retraining pipeline once for a firing alert (dry run: the commands are printed), answers a redelivered
/// message as a duplicate, and refuses a forged one.
/// </summary>
public sealed class RetrainReceiverTests : IAsyncLifetime
{
    private const string Python = "/usr/bin/python3";

    private readonly TempDirectory _temp = new();
    private readonly ConcurrentQueue<string> _output = new();
    private UpdateServerHost _server = null!;
    private Process? _receiver;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync(settings: ["--EdgeDeploy:Webhooks:PollInterval=00:00:00.050"]);

    public async Task DisposeAsync()
    {
        if (_receiver is { HasExited: false })
        {
            _receiver.Kill();
            await _receiver.WaitForExitAsync();
        }

        _receiver?.Dispose();
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Receiver_FiringAlertThenRedeliveryThenForgery_RunsThePipelineOnceAndRefusesTheForgery()
    {
        if (!File.Exists(Python))
        {
            return; // scripts/prerequisites.sh installs it; without it there is no receiver to run
        }

        var port = FreePort();
        var admin = new AdminService.AdminServiceClient(_server.Channel);
        var created = await admin.CreateWebhookAsync(
            new CreateWebhookRequest { Url = $"http://127.0.0.1:{port}/hooks/retrain", EventTypes = { "firing" }, Metrics = { "error_rate" } }, UpdateServerHost.Operator);
        var secretFile = _temp.File("retrain.whsec");
        File.WriteAllText(secretFile, created.Secret + "\n");
        StartReceiver(secretFile, port);
        await WaitForOutputAsync("listening on http://127.0.0.1:");

        await _server.FireErrorRateAlertAsync();
        await WaitForOutputAsync("dry-run: " + Path.Combine(Repo.Root, "samples", "retrain", "retrain.sh"));
        var delivery = await WaitDeliveredAsync(admin);
        await admin.RedeliverWebhookAsync(new RedeliverWebhookRequest { Id = delivery.Id }, UpdateServerHost.Operator);
        await WaitForOutputAsync($"{delivery.Id}: duplicate, already handled");
        var redelivered = await WaitDeliveredAsync(admin);
        using var http = new HttpClient();
        using var forged = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/hooks/retrain") { Content = new StringContent("{\"type\":\"alert.firing\",\"data\":{}}", Encoding.UTF8, "application/json") };
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        forged.Headers.Add("webhook-id", "msg_forged");
        forged.Headers.Add("webhook-timestamp", timestamp);
        forged.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), Encoding.UTF8.GetBytes($"msg_forged.{timestamp}.{{}}"))));
        using var refused = await http.SendAsync(forged);
        // receiver.py prints before it answers, but the line reaches us through a thread-pool callback that can come later.
        await WaitForOutputAsync("refused a message with a missing, stale or wrong signature");

        var lines = _output.ToArray();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal((1, 202), (delivery.Attempts, delivery.LastStatus)); // 202: queued, the pipeline runs after the answer
        Assert.Equal(200, redelivered.LastStatus);
        var export = Assert.Single(lines, l => l.Contains("dry-run: edge monitor export", StringComparison.Ordinal));
        Assert.Contains("--model iris-classifier --version 1.0.0 --since ", export, StringComparison.Ordinal);
        Assert.Contains($"--format csv --out {Path.Combine(_temp.Path, "state", "exports", delivery.Id)}.csv", export, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("dry-run: " + Path.Combine(Repo.Root, "samples", "retrain", "retrain.sh"), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("error_rate of iris-classifier 1.0.0 is 0.25 (threshold 0.1): retraining", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("refused a message with a missing, stale or wrong signature", StringComparison.Ordinal));
        Assert.Equal([delivery.Id], File.ReadAllLines(Path.Combine(_temp.Path, "state", "seen-ids.txt")));
    }

    private void StartReceiver(string secretFile, int port)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _temp.Path,
        };
        foreach (var arg in new[]
        {
            Path.Combine(Repo.Root, "samples", "retrain", "receiver.py"), "--secret-file", secretFile, "--listen", $"127.0.0.1:{port}",
            "--state", Path.Combine(_temp.Path, "state"), "--metrics", "error_rate", "--dry-run",
        })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["EDGE_BIN"] = "edge";
        _receiver = Process.Start(start)!;
        _receiver.OutputDataReceived += (_, e) => Add(e.Data);
        _receiver.ErrorDataReceived += (_, e) => Add(e.Data);
        _receiver.BeginOutputReadLine();
        _receiver.BeginErrorReadLine();

        void Add(string? line)
        {
            if (line is not null)
            {
                _output.Enqueue(line);
            }
        }
    }

    private static async Task<WebhookDelivery> WaitDeliveredAsync(AdminService.AdminServiceClient admin)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var delivery = (await admin.ListWebhookDeliveriesAsync(new ListWebhookDeliveriesRequest(), UpdateServerHost.Operator)).Deliveries.Single();
            if (delivery.State == "delivered")
            {
                return delivery;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not delivered within 30 s: {delivery}");
            await Task.Delay(20);
        }
    }

    private async Task WaitForOutputAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline && _receiver is { HasExited: false }, $"receiver.py did not print '{text}' within 30 s: {string.Join(Environment.NewLine, _output)}");
            await Task.Delay(20);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
