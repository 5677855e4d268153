using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>Every targeted device gets the version at once; completes when all report and the gates hold.</summary>
internal sealed class AllAtOnceStrategy : RolloutStrategyBase
{
    public override RolloutStrategy Kind => RolloutStrategy.AllAtOnce;
}
