using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// A rollout of one model version to a targeted part of the fleet. The first line of properties is fixed at creation;
/// the progress properties (state, stage, reason, arm weights) change as the controller evaluates it.
/// </summary>
public sealed record RolloutRecord(
    string Id,
    string Model,
    string Version,
    RolloutStrategy Strategy,
    double CanaryPercent,
    IReadOnlyDictionary<string, string> TargetAttributes,
    IReadOnlyList<string> TargetTags,
    RolloutState State,
    long CreatedUnixMs)
{
    /// <summary>Percent of the targeted fleet per stage; the last is where the rollout completes.</summary>
    public IReadOnlyList<double> Stages { get; init; } = [100];

    public RolloutGates Gates { get; init; } = RolloutGates.Default;

    /// <summary>1 = roll back, 2 = pause (FailureAction).</summary>
    public int OnFailure { get; init; } = 1;

    public IReadOnlyList<ArmRecord> Arms { get; init; } = [];

    public int CurrentStage { get; init; }

    public long StageStartedUnixMs { get; init; }

    public string StateReason { get; init; } = string.Empty;

    /// <summary>The version devices ran before this rollout reached them; health is compared against it.</summary>
    public string BaselineVersion { get; init; } = string.Empty;
}
