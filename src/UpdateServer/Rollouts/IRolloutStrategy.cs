using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// One rollout strategy, whole: what it accepts, which devices each stage reaches, how those devices hold the version,
/// what promoting does, and how the controller moves it along once its health gates hold. One class per
/// <see cref="RolloutStrategy"/> value in Rollouts/Strategies; <see cref="RolloutStrategies"/> finds it by that value.
/// </summary>
internal interface IRolloutStrategy
{
    /// <summary>The proto value this class implements.</summary>
    RolloutStrategy Kind { get; }

    /// <summary>Whether a completed rollout of this strategy serves its version (and so is a later rollout's baseline).</summary>
    bool Serves { get; }

    /// <summary>Whether the rollout's health is read from shadow runs rather than served predictions.</summary>
    bool MeasuresShadow { get; }

    /// <summary>Checks what the strategy needs of a request (the model's version is known to be published).</summary>
    /// <exception cref="RejectedException">The request does not fit the strategy.</exception>
    Task<RolloutShape> ValidateAsync(RolloutSpec spec, CancellationToken cancellationToken);

    /// <summary>Percent of the targeted devices the rollout reaches now.</summary>
    double MemberPercent(RolloutRecord rollout);

    /// <summary>The version a device runs once this rollout is its baseline.</summary>
    string PrimaryVersion(RolloutRecord rollout);

    /// <summary>The versions a member device runs, or null when the rollout no longer decides (older rollouts do).</summary>
    IReadOnlyList<AssignedVersion?>? Assign(RolloutRecord rollout, IAssignmentContext context);

    /// <summary>The rollout after an operator's promote.</summary>
    RolloutRecord Promote(RolloutRecord rollout, long nowUnixMs, string reason);

    /// <summary>
    /// The rollout after one evaluation whose gates held: the same instance when nothing changes, a new stage or state
    /// when it advances, new weights or a new reason otherwise.
    /// </summary>
    RolloutRecord Evaluate(RolloutRecord rollout, RolloutStatus status, long nowUnixMs);
}
