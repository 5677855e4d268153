using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Store;

/// <summary>Serving health of one version over one reporting window (counts since the previous <see cref="ModelStore.TakeHealth"/>).</summary>
/// <param name="Version">The version.</param>
/// <param name="Shadow">True for a shadow candidate's silent runs.</param>
/// <param name="Requests">Predictions attempted.</param>
/// <param name="Errors">Predictions that failed (refused inputs included: a new schema that breaks callers is a regression).</param>
/// <param name="LatencyBuckets">Counts per <see cref="LatencyHistogram"/> bucket.</param>
/// <param name="GroundTruth">Predictions whose true label arrived.</param>
/// <param name="Correct">Of those, predicted class equal to the label.</param>
/// <param name="AbsoluteErrorSum">Sum of |predicted value - label|.</param>
public sealed record VersionHealth(string Version, bool Shadow, long Requests, long Errors, IReadOnlyList<long> LatencyBuckets, long GroundTruth, long Correct, double AbsoluteErrorSum);
