namespace EdgeDeploy.Runtime.Store;

/// <summary>A prediction and where it came from.</summary>
/// <param name="PredictionId">Id to attach ground truth to later (<see cref="ModelStore.RecordGroundTruth(Guid, double)"/>).</param>
/// <param name="Version">The model version that served it.</param>
/// <param name="Prediction">The outputs.</param>
public sealed record ServedPrediction(Guid PredictionId, string Version, Prediction Prediction);
