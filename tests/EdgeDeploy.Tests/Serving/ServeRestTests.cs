using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Serving;

/// <summary>`edge serve`'s REST/JSON API driven the way any V2 client does: plain HTTP requests with V2 JSON bodies.</summary>
public sealed class ServeRestTests(PackageFactory factory) : IClassFixture<PackageFactory>
{
    private const string Model = "iris-classifier";

    private static string InferBody(float[] row, string? outputs = null, string datatype = "FP32", string name = "features") =>
        $$"""{"id": "req-1", "inputs": [{"name": "{{name}}", "shape": [1, 4], "datatype": "{{datatype}}", "data": [{{string.Join(", ", row.Select(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]}]{{outputs}}}""";

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadJson(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Metadata_ServerAndModel_DescribeTheServingStore()
    {
        await using var host = await ServeHost.StartAsync(factory);

        var server = await ReadJson(await host.Http.GetAsync("/v2"));
        var live = await host.Http.GetAsync("/v2/health/live");
        var ready = await host.Http.GetAsync("/v2/health/ready");
        var model = await ReadJson(await host.Http.GetAsync($"/v2/models/{Model}"));
        var v2 = await ReadJson(await host.Http.GetAsync($"/v2/models/{Model}/versions/2.0.0"));
        var modelReady = await host.Http.GetAsync($"/v2/models/{Model}/ready");
        var versionReady = await host.Http.GetAsync($"/v2/models/{Model}/versions/2.0.0/ready");

        Assert.Equal("edgedeploy", server.GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", server.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (live.StatusCode, ready.StatusCode));
        Assert.Equal(Model, model.GetProperty("name").GetString());
        Assert.Equal(["1.0.0", "2.0.0"], model.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        var input = Assert.Single(model.GetProperty("inputs").EnumerateArray());
        Assert.Equal(("features", "FP32", 4L), (input.GetProperty("name").GetString(), input.GetProperty("datatype").GetString(), input.GetProperty("shape")[1].GetInt64()));
        Assert.Contains(model.GetProperty("outputs").EnumerateArray(), o => o.GetProperty("name").GetString() == "label" && o.GetProperty("datatype").GetString() == "INT64");
        Assert.Equal(["2.0.0"], v2.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (modelReady.StatusCode, versionReady.StatusCode));
    }

    [Fact]
    public async Task Infer_V2Json_ReturnsOutputsPredictionIdAndServedVersion()
    {
        await using var host = await ServeHost.StartAsync(factory);

        var response = await host.Http.PostAsync($"/v2/models/{Model}/infer", Json(InferBody(ServeHost.Setosa)));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((Model, "1.0.0", "req-1"), (body.GetProperty("model_name").GetString(), body.GetProperty("model_version").GetString(), body.GetProperty("id").GetString()));
        var id = Guid.Parse(body.GetProperty("parameters").GetProperty("prediction_id").GetString()!);
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);
        Assert.Equal("INT64", outputs["label"].GetProperty("datatype").GetString());
        Assert.Equal(0, outputs["label"].GetProperty("data")[0].GetInt64()); // setosa
        Assert.Equal([1L, 3L], outputs["probabilities"].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(3, outputs["probabilities"].GetProperty("data").GetArrayLength());

        // The prediction went through the store: the outbox holds it under the id the response carried.
        Assert.True(host.Recorder.Flush(TimeSpan.FromSeconds(10)));
        var record = Assert.Single(host.Recorder.ReadBatch()!.Records);
        Assert.Equal((id, "1.0.0"), (TelemetryCodec.DecodePrediction(record.Payload).PredictionId, TelemetryCodec.DecodePrediction(record.Payload).Version));
    }

    [Fact]
    public async Task Infer_VersionRouteAndRequestedOutputs_ServesThatVersionAndOnlyThoseOutputs()
    {
        await using var host = await ServeHost.StartAsync(factory);

        var response = await host.Http.PostAsync($"/v2/models/{Model}/versions/2.0.0/infer", Json(InferBody(ServeHost.Setosa, """, "outputs": [{"name": "probabilities"}]""")));
        var body = await ReadJson(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2.0.0", body.GetProperty("model_version").GetString());
        Assert.Equal("probabilities", Assert.Single(body.GetProperty("outputs").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Infer_NestedDataAndBinaryTensorExtension_AcceptedBothWays()
    {
        await using var host = await ServeHost.StartAsync(factory);

        // Nested row-major data, as some clients send it.
        var nested = await host.Http.PostAsync($"/v2/models/{Model}/infer", Json("""{"inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32", "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}]}"""));
        Assert.Equal(HttpStatusCode.OK, nested.StatusCode);
        Assert.Equal([0L, 2L], (await ReadJson(nested)).GetProperty("outputs").EnumerateArray().First(o => o.GetProperty("name").GetString() == "label").GetProperty("data").EnumerateArray().Select(d => d.GetInt64()));

        // Binary tensor data: JSON header, then the raw little-endian floats; binary output requested back.
        var header = Encoding.UTF8.GetBytes("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}], "outputs": [{"name": "probabilities", "parameters": {"binary_data": true}}]}""");
        var raw = new byte[16];
        Buffer.BlockCopy(ServeHost.Setosa, 0, raw, 0, 16);
        var content = new ByteArrayContent([.. header, .. raw]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var binary = await host.Http.PostAsync($"/v2/models/{Model}/infer", content);
        var bytes = await binary.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        var jsonLength = int.Parse(binary.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(bytes.AsMemory(0, jsonLength)).RootElement;
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.Equal(12, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.Equal(jsonLength + 12, bytes.Length);
        var probabilities = new float[3];
        Buffer.BlockCopy(bytes, jsonLength, probabilities, 0, 12);
        Assert.Equal(1.0, probabilities.Sum(), 3);
        Assert.True(probabilities[0] > 0.5);
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "INT64", "data": [5, 3, 1, 0]}]}""", "InputTypeMismatch", "features")]
    [InlineData("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4]}]}""", "TensorDataMismatch", "features")]
    [InlineData("""{"inputs": [{"name": "petals", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""", "MissingInput", "features")]
    [InlineData("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}], "outputs": [{"name": "scores"}]}""", "InvalidOutput", "scores")]
    [InlineData("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP33", "data": [5.1, 3.5, 1.4, 0.2]}]}""", "InvalidArgument", "features")]
    [InlineData("""{"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": ["a", 3.5, 1.4, 0.2]}]}""", "InvalidJson", "features")]
    public async Task Infer_InvalidRequest_Is400NamingCodeAndTensor(string body, string code, string tensor)
    {
        await using var host = await ServeHost.StartAsync(factory);

        var response = await host.Http.PostAsync($"/v2/models/{Model}/infer", Json(body));
        var error = (await ReadJson(response)).GetProperty("error").GetString()!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(code, error, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z]+: ", error);
        Assert.Contains($"'{tensor}'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v2/models/no-such-model", "ModelNotFound")]
    [InlineData("GET", "/v2/models/iris-classifier/versions/9.9.9", "PackageNotFound")]
    [InlineData("GET", "/v2/models/no-such-model/ready", "ModelNotFound")]
    [InlineData("POST", "/v2/models/no-such-model/infer", "ModelNotFound")]
    [InlineData("POST", "/v2/models/iris-classifier/versions/9.9.9/infer", "PackageNotFound")]
    public async Task Request_UnknownModelOrVersion_Is404(string method, string path, string code)
    {
        await using var host = await ServeHost.StartAsync(factory);

        var response = await host.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json(InferBody(ServeHost.Setosa)) : null });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.StartsWith(code + ": ", (await ReadJson(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_AnotherProcessActivatesAVersion_ServerFollowsTheStoreDirectory()
    {
        await using var host = await ServeHost.StartAsync(factory);

        // The agent's own ModelStore over the same directory (as `edge agent` beside `edge serve`) switches to 2.0.0.
        using (var agentSide = ModelStore.Open(new ModelStoreOptions
        {
            Directory = host.StoreDirectory,
            Trust = factory.NewTrustStore(),
            VerifierOptions = PackageFactory.Options(),
            ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
        }))
        {
            Assert.Equal(InstallOutcome.Activated, agentSide.Activate("2.0.0").Outcome);
        }

        await Poll.UntilAsync(() => host.Store.ActiveVersion == "2.0.0", () => $"edge serve still serves {host.Store.ActiveVersion}");

        var body = await ReadJson(await host.Http.PostAsync($"/v2/models/{Model}/infer", Json(InferBody(ServeHost.Setosa))));
        Assert.Equal("2.0.0", body.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task GroundTruth_ForServedPredictionId_IsRecordedThroughTheStore()
    {
        await using var host = await ServeHost.StartAsync(factory);
        var served = await ReadJson(await host.Http.PostAsync($"/v2/models/{Model}/infer", Json(InferBody(ServeHost.Setosa))));
        var id = served.GetProperty("parameters").GetProperty("prediction_id").GetString()!;

        var response = await host.Http.PostAsync($"/v2/models/{Model}/predictions/{id}/ground_truth", Json("""{"label": 0}"""));
        var bad = await host.Http.PostAsync($"/v2/models/{Model}/predictions/not-an-id/ground_truth", Json("""{"label": 0}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var health = Assert.Single(host.Store.TakeHealth(), h => h.Version == "1.0.0");
        Assert.Equal((1L, 1L), (health.GroundTruth, health.Correct));
        Assert.True(host.Recorder.Flush(TimeSpan.FromSeconds(10)));
        var records = host.Recorder.ReadBatch()!.Records;
        var truth = TelemetryCodec.DecodeGroundTruth(Assert.Single(records, r => r.Kind == TelemetryRecordKind.GroundTruth).Payload);
        Assert.Equal((Guid.Parse(id), 0.0), (truth.PredictionId, truth.Label));
    }
    [Fact]
    public async Task GroundTruth_TextOrBoxes_IsRecordedAsStructuredTruthWithANaNLabel()
    {
        await using var host = await ServeHost.StartAsync(factory);
        var served = await ReadJson(await host.Http.PostAsync($"/v2/models/{Model}/infer", Json(InferBody(ServeHost.Setosa))));
        var id = served.GetProperty("parameters").GetProperty("prediction_id").GetString()!;
        host.Store.TakeHealth();

        var text = await host.Http.PostAsync($"/v2/models/{Model}/predictions/{id}/ground_truth", Json("""{"text": "HELLO WORLD"}"""));
        var boxes = await host.Http.PostAsync($"/v2/models/{Model}/predictions/{id}/ground_truth", Json("""{"boxes": [[0, 0, 10, 10], [20, 20, 30, 30.5]], "classes": [0, 1]}"""));

        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal("HELLO WORLD", (await ReadJson(text)).GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, boxes.StatusCode);
        Assert.DoesNotContain(host.Store.TakeHealth(), h => h.GroundTruth > 0); // no class to be right or wrong about
        Assert.True(host.Recorder.Flush(TimeSpan.FromSeconds(10)));
        var truths = host.Recorder.ReadBatch()!.Records.Where(r => r.Kind == TelemetryRecordKind.GroundTruth).Select(r => TelemetryCodec.DecodeGroundTruth(r.Payload)).ToList();
        Assert.Equal(2, truths.Count);
        Assert.All(truths, t => Assert.Equal((Guid.Parse(id), true), (t.PredictionId, double.IsNaN(t.Label))));
        Assert.Equal("HELLO WORLD", truths[0].Truth![TelemetryEvidence.Text].AsSpan<string>()[0]);
        Assert.Equal([0f, 0, 10, 10, 20, 20, 30, 30.5f], truths[1].Truth![TelemetryEvidence.Boxes].ToArray<float>());
        Assert.Equal([0L, 1L], truths[1].Truth![TelemetryEvidence.Classes].ToArray<long>());
    }

    [Theory]
    [InlineData("""{}""", "InvalidArgument: The body must be one of", "it gives none")]
    [InlineData("""{"label": 1, "text": "a"}""", "InvalidArgument: The body must be one of", "it gives more than one")]
    [InlineData("""{"text": "a", "boxes": [[0, 0, 1, 1]], "classes": [0]}""", "InvalidArgument: The body must be one of", "it gives more than one")]
    [InlineData("""{"boxes": [[0, 0, 1, 1]]}""", "InvalidArgument: \"boxes\" and \"classes\" go together", "")]
    [InlineData("""{"boxes": [[0, 0, 1, 1]], "classes": [0, 1]}""", "InvalidArgument: Detections disagree in count", "")]
    [InlineData("""{"text": 7}""", "InvalidJson: \"text\" must be a string.", "")]
    public async Task GroundTruth_NeitherBothOrMalformedTruth_Is400AndRecordsNothing(string body, string start, string contains)
    {
        await using var host = await ServeHost.StartAsync(factory);
        var id = Guid.NewGuid().ToString("N");

        var response = await host.Http.PostAsync($"/v2/models/{Model}/predictions/{id}/ground_truth", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await ReadJson(response)).GetProperty("error").GetString()!;
        Assert.StartsWith(start, error, StringComparison.Ordinal);
        Assert.Contains(contains, error, StringComparison.Ordinal);
        Assert.True(host.Recorder.Flush(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(host.Recorder.ReadBatch()?.Records ?? [], r => r.Kind == TelemetryRecordKind.GroundTruth);
    }
}
