using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>
/// Every targeted device installs green beside blue (stage 0: blue serves, green on standby); promote switches them all
/// at once (stage 1: green serves, blue on standby for a rollback); completion drops blue.
/// </summary>
internal sealed class BlueGreenStrategy : RolloutStrategyBase
{
    public override RolloutStrategy Kind => RolloutStrategy.BlueGreen;

    protected override string HoldReason => "green installed on every device; ready to switch";

    public override double MemberPercent(RolloutRecord rollout) => 100;

    public override IReadOnlyList<AssignedVersion?>? Assign(RolloutRecord rollout, IAssignmentContext context)
    {
        if (rollout.State == RolloutState.Completed)
        {
            return [context.Hold(rollout.Version, VersionRole.Primary)];
        }

        if (rollout.CurrentStage == 0)
        {
            return context.Baseline() is { Count: > 0 } blue
                ? [.. blue, context.Hold(rollout.Version, VersionRole.Standby)]
                : [context.Hold(rollout.Version, VersionRole.Primary)];
        }

        return [context.Hold(rollout.Version, VersionRole.Primary), .. context.Baseline().Select(AsStandby)];
    }

    public override RolloutRecord Promote(RolloutRecord rollout, long nowUnixMs, string reason) =>
        rollout with { CurrentStage = 1, StageStartedUnixMs = nowUnixMs, StateReason = Reason("switched to green by operator", reason) };

    protected override bool HoldsForOperator(RolloutRecord rollout) => rollout.CurrentStage == 0;

    protected override RolloutRecord Advance(RolloutRecord r, long nowUnixMs) => Complete(r);
}
