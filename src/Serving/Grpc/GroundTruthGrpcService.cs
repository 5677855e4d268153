using EdgeDeploy.Runtime;
using EdgeDeploy.Serving.Protocol;
using EdgeDeploy.Serving.V1;
using Grpc.Core;

namespace EdgeDeploy.Serving.Grpc;

/// <summary><c>edgedeploy.serving.v1.GroundTruthService</c>: the gRPC twin of the REST ground-truth route.</summary>
internal sealed class GroundTruthGrpcService(ModelCatalog catalog) : GroundTruthService.GroundTruthServiceBase
{
    public override Task<RecordGroundTruthResponse> RecordGroundTruth(RecordGroundTruthRequest request, ServerCallContext context)
    {
        try
        {
            var store = catalog.Find(request.ModelName);
            var id = InferenceCall.ParseId(request.PredictionId);
            if (!double.IsFinite(request.Label))
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, "The label must be a finite number.");
            }

            store.RecordGroundTruth(id, request.Label);
            return Task.FromResult(new RecordGroundTruthResponse { PredictionId = id.ToString("N") });
        }
        catch (EdgeException ex)
        {
            throw ServeErrors.Rpc(ex);
        }
    }
}
