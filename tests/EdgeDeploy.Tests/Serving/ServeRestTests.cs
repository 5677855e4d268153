using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
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
}
