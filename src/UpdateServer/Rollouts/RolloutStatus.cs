namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>Where a rollout stands: its members' install outcomes and the health of its version and baseline.</summary>
internal sealed record RolloutStatus(
    int Members,
    int Succeeded,
    int Failed,
    int TimedOut,
    int Pending,
    VersionHealthSummary Health,
    VersionHealthSummary? Baseline,
    IReadOnlyList<(string Version, long Successes, long Failures)> Arms,
    IReadOnlyList<AlertRecord> FiringAlerts,
    IReadOnlyList<InstallReportRecord> Reports);
