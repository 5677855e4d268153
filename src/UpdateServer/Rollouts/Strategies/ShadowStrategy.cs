using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>
/// The version runs silently beside what each device serves; its health comes from the shadow runs. It never serves,
/// so it is nobody's baseline, and once ended (promoted) it assigns nothing.
/// </summary>
internal sealed class ShadowStrategy : RolloutStrategyBase
{
    public override RolloutStrategy Kind => RolloutStrategy.Shadow;

    public override bool Serves => false;

    public override bool MeasuresShadow => true;

    public override double MemberPercent(RolloutRecord rollout) => 100;

    public override IReadOnlyList<AssignedVersion?>? Assign(RolloutRecord rollout, IAssignmentContext context) =>
        rollout.State == RolloutState.Completed ? null : [.. context.Baseline(), context.Hold(rollout.Version, VersionRole.Shadow)];

    public override RolloutRecord Promote(RolloutRecord rollout, long nowUnixMs, string reason) =>
        rollout with { State = RolloutState.Completed, StateReason = Reason("shadow evaluation ended by operator", reason) };

    protected override bool HoldsForOperator(RolloutRecord rollout) => true;
}
