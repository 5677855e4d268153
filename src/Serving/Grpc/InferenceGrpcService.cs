using EdgeDeploy.Runtime;
using EdgeDeploy.Serving.Protocol;
using EdgeDeploy.Serving.Rest;
using Grpc.Core;
using Inference;

namespace EdgeDeploy.Serving.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: the Open Inference Protocol's gRPC API and Triton's ModelStreamInfer. Typed
/// contents in, typed contents out; raw contents in, raw contents out.
/// </summary>
internal sealed class InferenceGrpcService(ModelCatalog catalog, InferenceLimiter limiter) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = catalog.AllReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) => Run(() =>
    {
        var store = catalog.Find(request.Name);
        _ = ModelCatalog.Schema(store, NullIfEmpty(request.Version));
        return new ModelReadyResponse { Ready = ModelCatalog.IsReady(store) };
    });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = "edgedeploy", Version = RestApi.ServerVersion };
        response.Extensions.Add(RestApi.Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) => Run(() =>
    {
        var store = catalog.Find(request.Name);
        var version = NullIfEmpty(request.Version);
        var schema = ModelCatalog.Schema(store, version);
        var response = new ModelMetadataResponse { Name = store.ModelName, Platform = "onnxruntime_onnx" };
        response.Versions.Add(version is null ? store.ServingVersions : [version]);
        foreach (var (list, tensors) in new[] { (response.Inputs, schema.Inputs), (response.Outputs, schema.Outputs) })
        {
            foreach (var t in tensors.Where(t => t.Kind == EdgeValueKind.Tensor))
            {
                var meta = new ModelMetadataResponse.Types.TensorMetadata { Name = t.Name, Datatype = V2Tensors.Datatype(t.ElementType) };
                meta.Shape.Add(t.Shape);
                list.Add(meta);
            }
        }

        return response;
    });

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        using var lease = await limiter.AcquireAsync(context.CancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ServeErrors.Overloaded));
        }

        try
        {
            return Infer(request);
        }
        catch (EdgeException ex)
        {
            throw ServeErrors.Rpc(ex);
        }
    }

    public override async Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requestStream, IServerStreamWriter<ModelStreamInferResponse> responseStream, ServerCallContext context)
    {
        // One response per request, in order; a failed request answers with error_message and the stream goes on.
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            var request = requestStream.Current;
            ModelStreamInferResponse response;
            using (var lease = await limiter.AcquireAsync(context.CancellationToken).ConfigureAwait(false))
            {
                try
                {
                    response = lease.IsAcquired
                        ? new ModelStreamInferResponse { InferResponse = Infer(request) }
                        : Error(request, ServeErrors.Overloaded);
                }
                catch (EdgeException ex)
                {
                    response = Error(request, ServeErrors.Message(ex));
                }
            }

            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private static ModelStreamInferResponse Error(ModelInferRequest request, string message) => new()
    {
        ErrorMessage = message,
        InferResponse = new ModelInferResponse { ModelName = request.ModelName, ModelVersion = request.ModelVersion, Id = request.Id },
    };

    private ModelInferResponse Infer(ModelInferRequest request)
    {
        var store = catalog.Find(request.ModelName);
        var raw = request.RawInputContents.Count > 0;
        var (served, outputs) = InferenceCall.Run(store, NullIfEmpty(request.ModelVersion), GrpcTensors.Inputs(request), GrpcTensors.Outputs(request, raw), raw);
        return GrpcTensors.Response(store.ModelName!, request.Id.Length > 0 ? request.Id : InferenceCall.Id(served), served, outputs, raw);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static Task<T> Run<T>(Func<T> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (EdgeException ex)
        {
            throw ServeErrors.Rpc(ex);
        }
    }
}
