namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Served predictions that fell in one slice, and how those with a label fared.</summary>
public sealed record SliceOutcomes(long Requests, long GroundTruth, long Correct, double AbsErrorSum);
