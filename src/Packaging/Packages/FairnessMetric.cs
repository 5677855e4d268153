namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// A group rate compared between a fairness group and the reference group (<see cref="FairnessSpec"/>): the gated and
/// monitored figure is the ratio group / reference, as Aequitas' disparities are.
/// </summary>
public enum FairnessMetric
{
    /// <summary>Share of the group's cases predicted positive (Aequitas' predicted prevalence, "pprev"); needs no label.</summary>
    PositiveRate = 0,

    /// <summary>Of the group's truly negative cases, the share predicted positive.</summary>
    FalsePositiveRate = 1,

    /// <summary>Of the group's truly positive cases, the share predicted negative.</summary>
    FalseNegativeRate = 2,
}
