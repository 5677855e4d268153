namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>A rollout as an operator asks for it (CreateRolloutRequest in domain terms), before validation.</summary>
internal sealed record RolloutSpec(
    string Model,
    string Version,
    double CanaryPercent,
    IReadOnlyList<double> Stages,
    IReadOnlyList<string> BanditVersions,
    IReadOnlyDictionary<string, string> TargetAttributes,
    IReadOnlyList<string> TargetTags,
    RolloutGates Gates,
    int OnFailure);
