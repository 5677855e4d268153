using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;

namespace EdgeDeploy.Serving.Protocol;

/// <summary>One output a client asked for, and whether it wants it as raw bytes (binary tensor data).</summary>
internal readonly record struct RequestedOutput(string Name, bool Binary);

/// <summary>One served output.</summary>
internal readonly record struct ServedOutput(string Name, EdgeTensor Tensor, bool Binary);

/// <summary>The transport-neutral part of an infer request: the REST and gRPC APIs both end here.</summary>
internal static class InferenceCall
{
    /// <summary>
    /// Checks the requested outputs against the schema (before predicting, so a bad request records nothing), predicts
    /// on the requested version (null: the store's route) and picks the outputs: the requested ones in their order, or
    /// every tensor output (outputs that are sequences or maps have no V2 form and are left out unless asked for).
    /// </summary>
    public static (ServedPrediction Served, List<ServedOutput> Outputs) Run(
        ModelStore store, string? version, IReadOnlyDictionary<string, EdgeTensor> inputs, IReadOnlyList<RequestedOutput>? requested, bool binaryByDefault)
    {
        var schema = ModelCatalog.Schema(store, version);
        foreach (var output in requested ?? [])
        {
            var declared = schema.FindOutput(output.Name)
                ?? throw V2Tensors.Invalid(EdgeErrorCode.InvalidOutput, output.Name, $"Output '{output.Name}' is not an output of this model (outputs: {string.Join(", ", schema.Outputs.Select(o => o.Name))}).");
            if (declared.Kind != EdgeValueKind.Tensor)
            {
                throw V2Tensors.Invalid(EdgeErrorCode.InvalidOutput, output.Name, $"Output '{output.Name}' is a {declared.Kind.ToString().ToLowerInvariant()}, which the Open Inference Protocol cannot carry; request its tensor outputs.");
            }
        }

        var served = store.Predict(inputs, version);
        var prediction = served.Prediction;
        var outputs = new List<ServedOutput>(requested?.Count ?? prediction.Names.Count);
        if (requested is { Count: > 0 })
        {
            foreach (var output in requested)
            {
                outputs.Add(new ServedOutput(output.Name, prediction[output.Name], output.Binary));
            }
        }
        else
        {
            for (var i = 0; i < prediction.Names.Count; i++)
            {
                if (prediction.Values[i].Kind == EdgeValueKind.Tensor)
                {
                    outputs.Add(new ServedOutput(prediction.Names[i], prediction.Values[i].Tensor, binaryByDefault));
                }
            }
        }

        return (served, outputs);
    }

    /// <summary>The prediction id as responses carry it (32 hex digits).</summary>
    public static string Id(ServedPrediction served) => served.PredictionId.ToString("N");

    /// <summary>Parses a prediction id (32 hex digits or any GUID form).</summary>
    public static Guid ParseId(string? id) => Guid.TryParse(id, out var guid)
        ? guid
        : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{id}' is not a prediction id (the \"prediction_id\" parameter of an inference response).");
}
