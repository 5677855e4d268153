using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Drift of one feature or output against the package's training reference.</summary>
/// <param name="Name">Feature or output name.</param>
/// <param name="Kind">Numeric or categorical.</param>
/// <param name="Observed">Values counted.</param>
/// <param name="MissingFraction">Share of observations that were missing (NaN).</param>
/// <param name="ReferenceMissingFraction">The same share in the training data.</param>
/// <param name="Psi">Population stability index over the reference bins.</param>
/// <param name="JensenShannon">Jensen-Shannon divergence (base 2, 0..1) over the same bins.</param>
/// <param name="Ks">Kolmogorov-Smirnov distance between binned CDFs (numeric only; NaN for categorical).</param>
/// <param name="ObservedFractions">Observed share per reference bin (categorical: a last extra bin for unseen categories).</param>
public sealed record DriftScore(string Name, FeatureKind Kind, long Observed, double MissingFraction, double ReferenceMissingFraction, double Psi, double JensenShannon, double Ks, IReadOnlyList<double> ObservedFractions);
