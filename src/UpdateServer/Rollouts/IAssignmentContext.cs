using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>What a strategy needs to say which versions one member device runs (see <see cref="IRolloutStrategy.Assign"/>).</summary>
internal interface IAssignmentContext
{
    /// <summary>What the older rollouts of the model give this device (what it would run without this rollout).</summary>
    IReadOnlyList<AssignedVersion> Baseline();

    /// <summary>A version of the rollout's model held in <paramref name="role"/>; null when the registry lacks it.</summary>
    AssignedVersion? Hold(string version, VersionRole role, double weight = 1);
}
