namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// A true label for an earlier prediction of the same device: a class or value (<see cref="Label"/>), and/or structured
/// truth (<see cref="Truth"/>: the encoded <c>text</c> or <c>boxes</c> + <c>classes</c>, checked on ingest). Label is NaN
/// when only structured truth was given; such a label counts in no accuracy or error figure, only in those its truth scores.
/// </summary>
public sealed record IngestedGroundTruth(Guid PredictionId, double Label, long TimestampMs, byte[]? Truth = null);
