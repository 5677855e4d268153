namespace EdgeDeploy.Runtime.Store;

/// <summary>How a shadow candidate compares with the serving model on the same inputs.</summary>
/// <param name="ShadowVersion">The candidate.</param>
/// <param name="Compared">Predictions compared.</param>
/// <param name="ExactMatchRate">Share where every output was bit-identical.</param>
/// <param name="MeanAbsoluteDifference">Mean |serving - shadow| over all floating-point output elements.</param>
/// <param name="LabelAgreementRate">Share where the label (the confidence metric's output) agreed.</param>
/// <param name="Failures">Shadow runs that threw.</param>
public sealed record ShadowStatistics(string ShadowVersion, long Compared, double ExactMatchRate, double MeanAbsoluteDifference, double LabelAgreementRate, long Failures);
