using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// What a <see cref="ModelStore"/> should serve, applied as a whole by <see cref="ModelStore.Apply"/>: the versions that
/// take traffic (the heaviest is the primary; several split traffic by weight), shadow candidates and standby versions.
/// Versions not installed yet are skipped when the plan is applied, so the same plan can be applied every cycle.
/// </summary>
/// <param name="Serving">Versions that take traffic, with their weights (positive), in assignment order.</param>
/// <param name="Shadow">Shadow candidates in assignment order; the first installed one runs beside the primary.</param>
/// <param name="Standby">Versions kept loaded and ready for an instant switch (blue/green), but not serving.</param>
public sealed record ServingPlan(IReadOnlyList<VersionWeight> Serving, IReadOnlyList<string> Shadow, IReadOnlyList<string> Standby)
{
    /// <summary>True when <paramref name="version"/> takes traffic under this plan.</summary>
    internal bool IsServing(string version) => Serving.Any(v => v.Version == version);

    /// <summary>
    /// The plan for the versions a signed assignment gives this store's model. A pure function of the assignment: each
    /// version's role (shadow, standby, or serving with a positive weight) is what the server set; no rollout strategy is
    /// known here. A version with none of those roles (weight 0) is installed but plays no part.
    /// </summary>
    internal static ServingPlan FromAssignment(IEnumerable<AssignedVersion> versions)
    {
        List<VersionWeight> serving = [];
        List<string> shadow = [], standby = [];
        foreach (var v in versions)
        {
            if (v.Shadow)
            {
                shadow.Add(v.Version);
            }

            if (v.Standby)
            {
                standby.Add(v.Version);
            }

            if (!v.Shadow && !v.Standby && v.Weight > 0)
            {
                serving.Add(new VersionWeight(v.Version, v.Weight));
            }
        }

        return new ServingPlan(serving, shadow, standby);
    }
}
