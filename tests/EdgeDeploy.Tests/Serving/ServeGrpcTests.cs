using EdgeDeploy.Serving.V1;
using EdgeDeploy.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Inference;

namespace EdgeDeploy.Tests.Serving;

/// <summary>`edge serve`'s gRPC API through a client generated from the same .proto files (as any KServe/Triton client is).</summary>
public sealed class ServeGrpcTests(PackageFactory factory) : IClassFixture<PackageFactory>
{
    private const string Model = "iris-classifier";

    internal static ModelInferRequest Request(float[] row, string id = "", string version = "")
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.Add([1, row.Length]);
        input.Contents.Fp32Contents.Add(row);
        var request = new ModelInferRequest { ModelName = Model, ModelVersion = version, Id = id };
        request.Inputs.Add(input);
        return request;
    }

    [Fact]
    public async Task MetadataAndReadiness_OverGrpc_DescribeTheServingStore()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = Model, Version = "2.0.0" })).Ready);
        Assert.Contains("model_stream_infer", (await client.ServerMetadataAsync(new ServerMetadataRequest())).Extensions);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = Model });
        Assert.Equal(["1.0.0", "2.0.0"], metadata.Versions);
        Assert.Equal(("features", "FP32"), (metadata.Inputs[0].Name, metadata.Inputs[0].Datatype));
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith("ModelNotFound: ", missing.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelInfer_TypedAndRawContents_ReturnOutputsIdAndVersion()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var typed = await client.ModelInferAsync(Request(ServeHost.Setosa, id: "a"));
        var rawRequest = Request(ServeHost.Setosa, version: "2.0.0");
        rawRequest.Inputs[0].Contents = null;
        var bytes = new byte[16];
        Buffer.BlockCopy(ServeHost.Setosa, 0, bytes, 0, 16);
        rawRequest.RawInputContents.Add(ByteString.CopyFrom(bytes));
        var raw = await client.ModelInferAsync(rawRequest);

        Assert.Equal(("a", "1.0.0"), (typed.Id, typed.ModelVersion));
        Assert.True(Guid.TryParse(typed.Parameters["prediction_id"].StringParam, out _));
        var label = typed.Outputs.Single(o => o.Name == "label");
        Assert.Equal(("INT64", 0L), (label.Datatype, label.Contents.Int64Contents[0]));
        Assert.Equal("2.0.0", raw.ModelVersion);
        Assert.Equal(raw.Outputs.Count, raw.RawOutputContents.Count);
        var labelIndex = raw.Outputs.ToList().FindIndex(o => o.Name == "label");
        Assert.Equal(0L, BitConverter.ToInt64(raw.RawOutputContents[labelIndex].Span));
    }

    [Fact]
    public async Task ModelInfer_InvalidInput_IsInvalidArgumentNamingCodeAndTensor()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(Request([5.1f, 3.5f, 1.4f])));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("InputShapeMismatch: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'features'", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelStreamInfer_ManyRequestsOneStream_AnswersEachInOrderAndReportsErrorsInline()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        float[][] rows = [ServeHost.Setosa, [6.7f, 3.0f, 5.2f, 2.3f], [5.1f, 3.5f], ServeHost.Setosa];

        using var call = client.ModelStreamInfer();
        var responses = new List<ModelStreamInferResponse>();
        for (var i = 0; i < rows.Length; i++)
        {
            await call.RequestStream.WriteAsync(Request(rows[i], id: $"r{i}"));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            responses.Add(call.ResponseStream.Current);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(["r0", "r1", "r2", "r3"], responses.Select(r => r.InferResponse.Id));
        Assert.Equal([0L, 2L], responses.Take(2).Select(r => r.InferResponse.Outputs.Single(o => o.Name == "label").Contents.Int64Contents[0]));
        Assert.StartsWith("InputShapeMismatch: ", responses[2].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(string.Empty, responses[3].ErrorMessage);
        Assert.Equal(3, host.Store.TakeHealth().Sum(h => h.Requests - h.Errors));
    }

    [Fact]
    public async Task RecordGroundTruth_OverGrpc_IsRecordedForThePrediction()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var served = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelInferAsync(Request(ServeHost.Setosa));
        var groundTruth = new GroundTruthService.GroundTruthServiceClient(channel);

        var answer = await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = served.Parameters["prediction_id"].StringParam, Label = 2 });
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = "x", Label = 2 }));

        Assert.Equal(served.Parameters["prediction_id"].StringParam, answer.PredictionId);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var health = Assert.Single(host.Store.TakeHealth(), h => h.Version == "1.0.0");
        Assert.Equal((1L, 0L), (health.GroundTruth, health.Correct)); // served setosa (0), labelled 2
    }
    [Fact]
    public async Task RecordGroundTruth_TextOrDetectionsOverGrpc_IsRecordedAsStructuredTruth_SeveralIsInvalidArgument_NoneIsLabelZero()
    {
        await using var host = await ServeHost.StartAsync(factory);
        using var channel = GrpcChannel.ForAddress(host.Server.GrpcAddress!);
        var served = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ModelInferAsync(Request(ServeHost.Setosa));
        var id = served.Parameters["prediction_id"].StringParam;
        var groundTruth = new GroundTruthService.GroundTruthServiceClient(channel);
        var detections = new DetectionTruth();
        detections.Boxes.Add([0, 0, 10, 10]);
        detections.Classes.Add(3);

        await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = id, Text = "edge deploy 2026" });
        await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = id, Detections = detections });
        await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = id }); // as an older client sends class 0
        var both = await Assert.ThrowsAsync<RpcException>(async () => await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = id, Label = 0, Text = "a" }));
        var uneven = new DetectionTruth();
        uneven.Boxes.Add([0, 0, 10]);
        uneven.Classes.Add(1);
        var ragged = await Assert.ThrowsAsync<RpcException>(async () => await groundTruth.RecordGroundTruthAsync(new RecordGroundTruthRequest { ModelName = Model, PredictionId = id, Detections = uneven }));

        Assert.Equal((StatusCode.InvalidArgument, StatusCode.InvalidArgument), (both.StatusCode, ragged.StatusCode));
        Assert.Equal("InvalidArgument: Give one of label, text or detections (boxes and classes); the request gives more than one.", both.Status.Detail);
        Assert.True(host.Recorder.Flush(TimeSpan.FromSeconds(10)));
        var truths = host.Recorder.ReadBatch()!.Records.Where(r => r.Kind == EdgeDeploy.Runtime.Telemetry.TelemetryRecordKind.GroundTruth)
            .Select(r => EdgeDeploy.Runtime.Telemetry.TelemetryCodec.DecodeGroundTruth(r.Payload)).ToList();
        Assert.Equal(3, truths.Count);
        Assert.Equal("edge deploy 2026", truths[0].Truth!["text"].AsSpan<string>()[0]);
        Assert.Equal([0f, 0, 10, 10], truths[1].Truth!["boxes"].ToArray<float>());
        Assert.Equal([3L], truths[1].Truth!["classes"].ToArray<long>());
        Assert.Equal((0.0, null), (truths[2].Label, truths[2].Truth));
        Assert.Equal(1, host.Store.TakeHealth().Sum(h => h.GroundTruth)); // only the numeric label counts in health
    }
}
