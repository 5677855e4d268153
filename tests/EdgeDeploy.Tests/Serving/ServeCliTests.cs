using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Serving;

/// <summary>The real native AOT `edge serve`: started on a store the CLI installed, one REST infer call, and its refusals.</summary>
[Collection(AotCollection.Name)]
public sealed class ServeCliTests(AotArtifacts artifacts)
{
    [Fact]
    public async Task EdgeServe_AotBinary_ServesRestInferAndRefusesExposedAddressWithoutTlsAndToken()
    {
        var edge = artifacts.RequireEdge();
        using var temp = new TempDirectory();
        var trust = temp.File("trust");
        var store = temp.File("store");
        SampleTrust.Create(trust);
        var install = ProcessRunner.Run(edge, ["store", "install", Path.Combine(Repo.Models, "iris_classifier.edgepkg"), "--store", store, "--trust", trust], TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install.All);

        var help = ProcessRunner.Run(edge, ["help", "serve"], TimeSpan.FromMinutes(1));
        Assert.True(help.ExitCode == 0, help.All);
        Assert.Contains("--max-queue", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("--token-file", help.StdOut, StringComparison.Ordinal);

        // Exposed without TLS and a token: refused before anything is opened or bound.
        var exposed = ProcessRunner.Run(edge, ["serve", "--store", store, "--trust", trust, "--listen", "0.0.0.0:0", "--grpc-listen", "off"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, exposed.ExitCode);
        Assert.StartsWith("error: InvalidArgument: ", exposed.StdErr, StringComparison.Ordinal);
        Assert.Contains("TLS", exposed.StdErr, StringComparison.Ordinal);

        using var serve = Process.Start(new ProcessStartInfo(edge, ["serve", "--store", store, "--trust", trust, "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--telemetry", temp.File("telemetry.db")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var rest = await RestAddressAsync(serve);

            // edge hands serve to edge-net by exec, not as a child: the process started as edge is edge-net now, so a
            // SIGTERM, systemd's main PID and a parent's wait all reach the server itself.
            Assert.Equal("edge-net", Path.GetFileName(new FileInfo($"/proc/{serve.Id}/exe").LinkTarget));
            using var http = new HttpClient { BaseAddress = new Uri(rest), Timeout = TimeSpan.FromSeconds(30) };
            var response = await http.PostAsync(
                "/v2/models/iris-classifier/infer",
                new StringContent("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""", Encoding.UTF8, "application/json"));
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("1.0.0", body.GetProperty("model_version").GetString());
            Assert.True(Guid.TryParse(body.GetProperty("parameters").GetProperty("prediction_id").GetString(), out _));
            Assert.Equal(0, body.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "label").GetProperty("data")[0].GetInt64());
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }

    /// <summary>The REST address a started `edge serve` prints ("rest: URL"); fails the test (and stops serve) when none comes in 60 s.</summary>
    internal static async Task<string> RestAddressAsync(Process serve)
    {
        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await serve.StandardOutput.ReadLineAsync(startup.Token) is { } line)
        {
            if (line.StartsWith("rest: ", StringComparison.Ordinal))
            {
                return line[6..];
            }
        }

        serve.Kill(entireProcessTree: true); // stderr ends only when the process does
        Assert.Fail("edge serve printed no REST address: " + await serve.StandardError.ReadToEndAsync());
        return string.Empty;
    }
}
