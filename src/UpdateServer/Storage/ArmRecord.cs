namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A bandit arm: a version and its current share of traffic.</summary>
public sealed record ArmRecord(string Version, double Weight);
