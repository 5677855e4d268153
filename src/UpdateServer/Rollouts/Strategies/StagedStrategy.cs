using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>Percent steps (e.g. 10, 50, 100) that advance one by one as each stage passes its gates.</summary>
internal sealed class StagedStrategy : RolloutStrategyBase
{
    public override RolloutStrategy Kind => RolloutStrategy.Staged;

    public override Task<RolloutShape> ValidateAsync(RolloutSpec spec, CancellationToken cancellationToken)
    {
        var stages = spec.Stages;
        if (stages.Count == 0 || stages.Any(p => !(p > 0 && p <= 100)) || stages.Zip(stages.Skip(1)).Any(p => p.Second <= p.First) || stages[^1] != 100)
        {
            throw RejectedException.Invalid("stages must be increasing percents in (0, 100] ending at 100, e.g. 10, 50, 100.");
        }

        RequireNoBanditVersions(spec);
        return Task.FromResult(new RolloutShape([.. stages], 0, []));
    }
}
