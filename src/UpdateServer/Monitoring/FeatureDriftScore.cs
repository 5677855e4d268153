using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>The drift score of one feature or output, beside the reference it was scored against and the verdict of <see cref="DriftAssessment"/>.</summary>
/// <param name="Score">PSI, Jensen-Shannon and KS (effect sizes) and the observed fractions.</param>
/// <param name="ReferenceFractions">The training reference per bin.</param>
/// <param name="IsOutput">An output (prediction drift) rather than an input feature.</param>
/// <param name="Samples">Non-missing observations scored.</param>
/// <param name="ReferenceSamples">Training rows behind the reference.</param>
/// <param name="PValue">The two-sample test's p-value; NaN below <see cref="DriftAssessment.MinSamples"/>.</param>
/// <param name="Test">"ks" or "chi-square".</param>
/// <param name="Shifted">Whether <see cref="DriftAssessment"/>'s rule holds.</param>
internal sealed record FeatureDriftScore(DriftScore Score, IReadOnlyList<double> ReferenceFractions, bool IsOutput, long Samples, int ReferenceSamples, double PValue, string Test, bool Shifted);
