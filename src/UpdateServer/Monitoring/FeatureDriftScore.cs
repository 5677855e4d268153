using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>The drift score of one feature or output, beside the reference fractions it was scored against.</summary>
internal sealed record FeatureDriftScore(DriftScore Score, IReadOnlyList<double> ReferenceFractions, bool IsOutput);
