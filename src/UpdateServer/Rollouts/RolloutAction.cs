namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>What an operator can do to a rollout (the Pause/Resume/Rollback/PromoteRollout calls).</summary>
internal enum RolloutAction
{
    Pause,
    Resume,
    Rollback,
    Promote,
}
