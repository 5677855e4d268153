using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Observability;

/// <summary>
/// /metrics (OpenTelemetry's Prometheus exporter) scraped the way Prometheus does, over HTTP/1.1 on the separate
/// listener, while a real device checks in, downloads, installs and uploads telemetry.
/// </summary>
/// <remarks>
/// OpenTelemetry listens to meters by name, process-wide: servers other tests run in this process add to the same series,
/// so the assertions are about movement (after &gt; before, at least what this test caused), never exact totals.
/// </remarks>
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Metrics_CheckInDownloadAndTelemetryBatch_InstrumentsMove()
    {
        var package = File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg"));
        using var http = Http1Client();
        var before = await ScrapeAsync(http);

        await _server.PublishAsync(package);
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(_server, "metrics-1", withTelemetry: true);
        await device.CheckInAsync(); // registers, checks in, downloads, installs, reports
        device.ServeLabelledTraffic(); // 45 predictions with labels
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync(); // uploads the telemetry batch
        await _server.EvaluateRolloutsAsync(); // gates hold: all-at-once completes

        var after = await ScrapeAsync(http);
        Assert.True(Delta("edgedeploy_checkins_total") >= 2, Describe("edgedeploy_checkins_total"));
        Assert.True(Delta("edgedeploy_assignment_signatures_total") >= 1, Describe("edgedeploy_assignment_signatures_total"));
        Assert.True(Delta("edgedeploy_downloaded_bytes_total") >= package.Length, Describe("edgedeploy_downloaded_bytes_total"));
        Assert.True(Delta("edgedeploy_telemetry_records_total") >= 90, Describe("edgedeploy_telemetry_records_total")); // 45 predictions + 45 labels
        Assert.True(Delta("edgedeploy_telemetry_ingest_duration_seconds_count") >= 1, Describe("edgedeploy_telemetry_ingest_duration_seconds_count"));
        Assert.True(Delta("edgedeploy_rollout_evaluation_duration_seconds_count") >= 1, Describe("edgedeploy_rollout_evaluation_duration_seconds_count"));
        Assert.True(Delta("edgedeploy_gate_outcomes_total", "gate=\"device\",outcome=\"pass\"") >= 1, Describe("edgedeploy_gate_outcomes_total"));
        Assert.True(Delta("edgedeploy_gate_outcomes_total", "gate=\"health\",outcome=\"pass\"") >= 1, Describe("edgedeploy_gate_outcomes_total"));
        Assert.True(Delta("edgedeploy_rollout_transitions_total", "state=\"completed\"") >= 1, Describe("edgedeploy_rollout_transitions_total"));
        Assert.True(Sum(after, "http_server_request_duration_seconds_count", "/edgedeploy.v1.DeviceService/CheckIn") >= 1, Describe("http_server_request_duration_seconds_count")); // ASP.NET Core instrumentation (a meter per host, so only its presence), gRPC calls by route

        double Delta(string name, string? labels = null) => Sum(after, name, labels) - Sum(before, name, labels);
        string Describe(string name) => $"{name}: before {Sum(before, name, null)}, after {Sum(after, name, null)}\n{after}";
    }

    [Fact]
    public async Task Listeners_EachServesOnlyItsOwnRoutes()
    {
        using var http1 = Http1Client();
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(10) };

        var scrape = await http1.GetAsync(new Uri(_server.HttpAddress!, "/metrics"));
        var live = await http1.GetAsync(new Uri(_server.HttpAddress!, "/healthz"));
        var ready = await http1.GetAsync(new Uri(_server.HttpAddress!, "/readyz"));
        var metricsOnGrpcPort = await h2c.GetAsync(new Uri(_server.Address, "/metrics"));
        var readyOnGrpcPort = await h2c.GetAsync(new Uri(_server.Address, "/readyz"));
        var grpcOnHttpPort = await http1.PostAsync(new Uri(_server.HttpAddress!, "/grpc.health.v1.Health/Check"), new ByteArrayContent([0, 0, 0, 0, 0]));

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal(new Version(1, 1), scrape.Version);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var readiness = await ready.Content.ReadAsStringAsync();
        Assert.Contains("\"database\":{\"status\":\"Healthy\"", readiness);
        Assert.Contains("\"disk\":{\"status\":\"Healthy\"", readiness);
        Assert.Contains("\"evaluator\":{\"status\":\"Healthy\"", readiness);
        Assert.Equal(HttpStatusCode.NotFound, metricsOnGrpcPort.StatusCode);
        Assert.Equal(new Version(2, 0), metricsOnGrpcPort.Version);
        Assert.Equal(HttpStatusCode.NotFound, readyOnGrpcPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, grpcOnHttpPort.StatusCode);
    }

    internal static HttpClient Http1Client() =>
        new() { DefaultRequestVersion = HttpVersion.Version11, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TimeSpan.FromSeconds(10) };

    private async Task<string> ScrapeAsync(HttpClient http)
    {
        using var response = await http.GetAsync(new Uri(_server.HttpAddress!, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of every series of <paramref name="name"/> (whose labels contain <paramref name="labels"/>) in Prometheus text; 0 when absent.</summary>
    private static double Sum(string text, string name, string? labels)
    {
        double sum = 0;
        foreach (Match m in Regex.Matches(text, "^" + Regex.Escape(name) + @"(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline))
        {
            if (labels is null || m.Groups["labels"].Value.Contains(labels, StringComparison.Ordinal))
            {
                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
