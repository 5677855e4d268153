using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Serving.Hosting;
using EdgeDeploy.Serving.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Serving.Rest;

/// <summary>
/// The Open Inference Protocol's REST/JSON API (plus the ground-truth extension route). Handlers are plain
/// <see cref="RequestDelegate"/>s writing with <see cref="Utf8JsonWriter"/>: no reflection, so the native AOT build of
/// `edge` carries it without trim warnings.
/// </summary>
internal sealed class RestApi(ModelCatalog catalog, InferenceLimiter limiter, TimeProvider time, ILogger logger)
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    // Readable error text for curl users: quotes and apostrophes as they are (still valid, escaped JSON).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly string[] Extensions = ["binary_tensor_data", "model_stream_infer", "edgedeploy_ground_truth"];

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2", Guard(ServerMetadata));
        app.MapGet("/v2/health/live", Guard(ctx => WriteJson(ctx, 200, w => w.WriteBoolean("live", true))));
        app.MapGet("/v2/health/ready", Guard(ctx => WriteJson(ctx, catalog.AllReady ? 200 : 400, w => w.WriteBoolean("ready", catalog.AllReady))));
        app.MapGet("/v2/models/{name}", Guard(ModelMetadata));
        app.MapGet("/v2/models/{name}/versions/{version}", Guard(ModelMetadata));
        app.MapGet("/v2/models/{name}/ready", Guard(ModelReady));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", Guard(ModelReady));
        app.MapPost("/v2/models/{name}/infer", Guard(InferAsync));
        app.MapPost("/v2/models/{name}/versions/{version}/infer", Guard(InferAsync));
        app.MapPost("/v2/models/{name}/predictions/{id}/ground_truth", Guard(GroundTruthAsync));
    }

    /// <summary>Writes <c>{"error": "..."}</c> as V2 specifies.</summary>
    public static Task WriteError(HttpContext ctx, int status, string message) => WriteJson(ctx, status, w => w.WriteString("error", message));

    private static string Route(HttpContext ctx, string key) => ctx.Request.RouteValues[key] as string ?? string.Empty;

    private static string? Version(HttpContext ctx) => ctx.Request.RouteValues["version"] as string;

    private RequestDelegate Guard(Func<HttpContext, Task> handler) => async ctx =>
    {
        var started = time.GetTimestamp();
        try
        {
            await handler(ctx).ConfigureAwait(false);
        }
        catch (EdgeException ex)
        {
            var message = ServeErrors.Message(ex);
            ServeLog.Rejected(logger, ctx.Request.Path, message);
            await WriteError(ctx, ServeErrors.HttpStatus(ex.Code), message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await WriteError(ctx, ex.StatusCode, $"{(ex.StatusCode == 413 ? nameof(EdgeErrorCode.PayloadTooLarge) : nameof(EdgeErrorCode.InvalidArgument))}: {ex.Message}").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ServeLog.Failed(logger, ctx.Request.Path, time.GetElapsedTime(started).TotalMilliseconds, ex);
            if (!ctx.Response.HasStarted)
            {
                await WriteError(ctx, 500, $"{nameof(EdgeErrorCode.InferenceFailed)}: {ex.Message}").ConfigureAwait(false);
            }
        }
    };

    private Task ServerMetadata(HttpContext ctx) => WriteJson(ctx, 200, w =>
    {
        w.WriteString("name", "edgedeploy");
        w.WriteString("version", ServerVersion);
        w.WriteStartArray("extensions");
        foreach (var e in Extensions)
        {
            w.WriteStringValue(e);
        }

        w.WriteEndArray();
    });

    internal static string ServerVersion { get; } = typeof(RestApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private Task ModelMetadata(HttpContext ctx)
    {
        var store = catalog.Find(Route(ctx, "name"));
        var version = Version(ctx);
        var schema = ModelCatalog.Schema(store, version);
        return WriteJson(ctx, 200, w =>
        {
            w.WriteString("name", store.ModelName);
            w.WriteStartArray("versions");
            foreach (var v in version is null ? store.ServingVersions : [version])
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            w.WriteString("platform", "onnxruntime_onnx");
            WriteTensors(w, "inputs", schema.Inputs);
            WriteTensors(w, "outputs", schema.Outputs);
        });
    }

    private Task ModelReady(HttpContext ctx)
    {
        var store = catalog.Find(Route(ctx, "name"));
        var version = Version(ctx);
        _ = ModelCatalog.Schema(store, version); // 404 for a version that does not serve
        var ready = ModelCatalog.IsReady(store);
        return WriteJson(ctx, ready ? 200 : 400, w =>
        {
            w.WriteString("name", store.ModelName);
            w.WriteBoolean("ready", ready);
        });
    }

    private async Task InferAsync(HttpContext ctx)
    {
        var store = catalog.Find(Route(ctx, "name"));
        var version = Version(ctx);
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        var request = V2JsonRequest.Parse(body, V2JsonRequest.HeaderLength(ctx.Request.Headers[HeaderLengthHeader]) ?? body.Length);

        using var lease = await limiter.AcquireAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            var stats = limiter.Statistics;
            ServeLog.Overloaded(logger, stats?.CurrentAvailablePermits ?? 0, stats?.CurrentQueuedCount ?? 0);
            ctx.Response.Headers.RetryAfter = "1";
            await WriteError(ctx, StatusCodes.Status429TooManyRequests, ServeErrors.Overloaded).ConfigureAwait(false);
            return;
        }

        var (served, outputs) = InferenceCall.Run(store, version, request.Inputs, request.Outputs, request.BinaryOutputs);
        await WriteInferResponse(ctx, store.ModelName!, request.Id, served, outputs).ConfigureAwait(false);
    }

    /// <summary>
    /// The ground-truth extension: <c>{"label": n}</c> (a class index or regression target), <c>{"text": "..."}</c> (for
    /// a sequence model's CER/WER) or <c>{"boxes": [[x1, y1, x2, y2], ...], "classes": [c, ...]}</c> (for a detector's
    /// mAP): exactly one of the three.
    /// </summary>
    private async Task GroundTruthAsync(HttpContext ctx)
    {
        var store = catalog.Find(Route(ctx, "name"));
        var id = InferenceCall.ParseId(Route(ctx, "id"));
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        GroundTruthBody truth;
        try
        {
            using var doc = JsonDocument.Parse(body);
            truth = GroundTruthBody.Read(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"The body is not valid JSON: {ex.Message}");
        }

        if (truth.Text is { } text)
        {
            store.RecordGroundTruth(id, text);
        }
        else if (truth.Boxes is { } boxes)
        {
            store.RecordGroundTruth(id, boxes, truth.Classes!);
        }
        else
        {
            store.RecordGroundTruth(id, truth.Label);
        }

        await WriteJson(ctx, 200, w =>
        {
            w.WriteString("model_name", store.ModelName);
            w.WriteString("prediction_id", id.ToString("N"));
            if (truth.Text is { } t)
            {
                w.WriteString("text", t);
            }
            else if (truth.Boxes is { } b)
            {
                w.WriteNumber("boxes", b.Shape[0]);
            }
            else
            {
                w.WriteNumber("label", truth.Label);
            }
        }).ConfigureAwait(false);
    }

    private static async Task WriteInferResponse(HttpContext ctx, string model, string? requestId, ServedPrediction served, List<ServedOutput> outputs)
    {
        var json = new ArrayBufferWriter<byte>(256);
        List<byte[]>? binary = null;
        using (var w = new Utf8JsonWriter(json, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("model_name", model);
            w.WriteString("model_version", served.Version);
            w.WriteString("id", requestId ?? InferenceCall.Id(served));
            w.WriteStartObject("parameters");
            w.WriteString("prediction_id", InferenceCall.Id(served));
            w.WriteEndObject();
            w.WriteStartArray("outputs");
            foreach (var output in outputs)
            {
                w.WriteStartObject();
                w.WriteString("name", output.Name);
                w.WriteString("datatype", V2Tensors.Datatype(output.Tensor.ElementType));
                w.WriteStartArray("shape");
                foreach (var d in output.Tensor.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                if (output.Binary)
                {
                    var raw = V2Tensors.ToRaw(output.Tensor);
                    (binary ??= []).Add(raw);
                    w.WriteStartObject("parameters");
                    w.WriteNumber("binary_data_size", raw.Length);
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("data");
                    V2Tensors.WriteJson(w, output.Tensor);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        ctx.Response.StatusCode = 200;
        if (binary is null)
        {
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = json.WrittenCount;
            await ctx.Response.Body.WriteAsync(json.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/octet-stream";
        ctx.Response.Headers[HeaderLengthHeader] = json.WrittenCount.ToString(CultureInfo.InvariantCulture);
        ctx.Response.ContentLength = json.WrittenCount + binary.Sum(b => (long)b.Length);
        await ctx.Response.Body.WriteAsync(json.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
        foreach (var b in binary)
        {
            await ctx.Response.Body.WriteAsync(b, ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IReadOnlyList<TensorSchema> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors.Where(t => t.Kind == EdgeValueKind.Tensor))
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", V2Tensors.Datatype(t.ElementType));
            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext ctx)
    {
        var length = ctx.Request.ContentLength;
        using var buffer = length is > 0 and < int.MaxValue ? new MemoryStream((int)length.Value) : new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static async Task WriteJson(HttpContext ctx, int status, Action<Utf8JsonWriter> body)
    {
        var json = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(json, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.WrittenCount;
        await ctx.Response.Body.WriteAsync(json.WrittenMemory, ctx.RequestAborted).ConfigureAwait(false);
    }
}
