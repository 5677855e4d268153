namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// One entry of a rollout's history: who (an operator, or "controller" for the evaluation tick) did what, the state and
/// stage it left the rollout in, why (for the controller: the gate and its value), and the bandit arm weights after it.
/// </summary>
public sealed record RolloutEventRecord(string RolloutId, long AtUnixMs, string Actor, string Action, string State, int Stage, string Reason, IReadOnlyList<ArmRecord> Arms);
