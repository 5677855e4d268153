namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>What a strategy's validation fixes for a new rollout: its stages, canary percent and bandit arms.</summary>
internal sealed record RolloutShape(IReadOnlyList<double> Stages, double CanaryPercent, IReadOnlyList<ArmRecord> Arms);
