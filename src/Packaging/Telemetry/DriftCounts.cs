namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Counts per reference bin for one feature or output, as devices report them (mergeable by adding).</summary>
/// <param name="Name">Feature or output name.</param>
/// <param name="Counts">Observations per reference bin (categorical: a last extra bin for unseen categories).</param>
/// <param name="Missing">Missing (NaN) observations.</param>
public sealed record DriftCounts(string Name, IReadOnlyList<long> Counts, long Missing);
