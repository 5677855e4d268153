using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>A share of the targeted devices first, held there until an operator promotes it to all of them.</summary>
internal sealed class CanaryStrategy : RolloutStrategyBase
{
    public override RolloutStrategy Kind => RolloutStrategy.Canary;

    public override Task<RolloutShape> ValidateAsync(RolloutSpec spec, CancellationToken cancellationToken)
    {
        IReadOnlyList<double> stages = spec.CanaryPercent switch
        {
            > 0 and < 100 => [spec.CanaryPercent, 100], // holds at the first until promoted
            100 => [100],
            _ => throw RejectedException.Invalid("the canary percent (edge rollout create --percent) must be in (0, 100]."),
        };
        RequireNoBanditVersions(spec);
        return Task.FromResult(new RolloutShape(stages, spec.CanaryPercent, []));
    }

    protected override bool HoldsForOperator(RolloutRecord rollout) => rollout.CurrentStage == 0 && rollout.Stages.Count > 1;
}
