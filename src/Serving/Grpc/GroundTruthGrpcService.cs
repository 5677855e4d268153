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
            // No text and no detections is a numeric label, present or not: proto3 leaves a label of 0 off the wire, and
            // clients built before the field was optional send class 0 that way.
            if ((request.HasLabel ? 1 : 0) + (request.HasText ? 1 : 0) + (request.Detections is null ? 0 : 1) > 1)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, "Give one of label, text or detections (boxes and classes); the request gives more than one.");
            }

            if (request.HasText)
            {
                store.RecordGroundTruth(id, request.Text);
            }
            else if (request.Detections is { } detections)
            {
                if (detections.Boxes.Count != 4 * detections.Classes.Count)
                {
                    throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Detections need 4 box values per class: {detections.Boxes.Count} box values for {detections.Classes.Count} classes.");
                }

                var m = detections.Classes.Count;
                store.RecordGroundTruth(id, EdgeTensor.Create([.. detections.Boxes], [m, 4]), EdgeTensor.Create([.. detections.Classes], [m]));
            }
            else
            {
                if (!double.IsFinite(request.Label))
                {
                    throw new EdgeException(EdgeErrorCode.InvalidArgument, "The label must be a finite number.");
                }

                store.RecordGroundTruth(id, request.Label);
            }

            return Task.FromResult(new RecordGroundTruthResponse { PredictionId = id.ToString("N") });
        }
        catch (EdgeException ex)
        {
            throw ServeErrors.Rpc(ex);
        }
    }
}
