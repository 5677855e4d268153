using System.Globalization;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>
/// What most strategies share: one serving version, stages by percent, promote to the last stage, advance a stage
/// when every member reported and the stage's time and labels are in. A strategy overrides only what it does differently.
/// </summary>
internal abstract class RolloutStrategyBase : IRolloutStrategy
{
    public abstract RolloutStrategy Kind { get; }

    public virtual bool Serves => true;

    public virtual bool MeasuresShadow => false;

    /// <summary>The reason a healthy rollout gives while <see cref="HoldsForOperator"/>.</summary>
    protected virtual string HoldReason => "healthy; holding until promoted";

    public virtual Task<RolloutShape> ValidateAsync(RolloutSpec spec, CancellationToken cancellationToken)
    {
        RequireNoStages(spec);
        RequireNoBanditVersions(spec);
        return Task.FromResult(new RolloutShape([100], 0, []));
    }

    public virtual double MemberPercent(RolloutRecord rollout) =>
        rollout.State == RolloutState.Completed ? 100 : rollout.Stages[Math.Clamp(rollout.CurrentStage, 0, rollout.Stages.Count - 1)];

    public virtual string PrimaryVersion(RolloutRecord rollout) => rollout.Version;

    public virtual IReadOnlyList<AssignedVersion?>? Assign(RolloutRecord rollout, IAssignmentContext context) =>
        [context.Hold(rollout.Version, VersionRole.Primary)];

    public virtual RolloutRecord Promote(RolloutRecord rollout, long nowUnixMs, string reason) =>
        rollout with { CurrentStage = rollout.Stages.Count - 1, StageStartedUnixMs = nowUnixMs, StateReason = Reason("promoted to the last stage by operator", reason) };

    public virtual RolloutRecord Evaluate(RolloutRecord rollout, RolloutStatus status, long nowUnixMs)
    {
        var waitingFor = WaitingFor(rollout, status, nowUnixMs);
        if (waitingFor is not null || HoldsForOperator(rollout))
        {
            var reason = waitingFor is not null ? "waiting for " + waitingFor : HoldReason;
            return reason == rollout.StateReason ? rollout : rollout with { StateReason = reason };
        }

        return Advance(rollout, nowUnixMs);
    }

    /// <summary>Whether a healthy rollout waits for an operator's promote rather than advancing.</summary>
    protected virtual bool HoldsForOperator(RolloutRecord rollout) => false;

    /// <summary>The next stage, or completion after the last.</summary>
    protected virtual RolloutRecord Advance(RolloutRecord r, long nowUnixMs) =>
        r.CurrentStage + 1 < r.Stages.Count
            ? r with { CurrentStage = r.CurrentStage + 1, StageStartedUnixMs = nowUnixMs, StateReason = string.Create(CultureInfo.InvariantCulture, $"stage {r.CurrentStage + 1} passed its gates; advanced to {r.Stages[r.CurrentStage + 1]}%") }
            : Complete(r);

    protected static RolloutRecord Complete(RolloutRecord r) => r with { State = RolloutState.Completed, StateReason = "every stage passed its gates" };

    /// <summary>What the stage still waits for before it may advance, or null when nothing.</summary>
    protected static string? WaitingFor(RolloutRecord r, RolloutStatus status, long nowUnixMs) =>
        status.Members == 0 ? "devices: none is targeted yet"
        : status.Pending > 0 ? $"{status.Pending} of {status.Members} devices to report"
        : nowUnixMs - r.StageStartedUnixMs < r.Gates.StageMinSeconds * 1000L ? $"the stage's minimum {r.Gates.StageMinSeconds} s"
        : r.Gates.MaxMetricRegression is not null && r.BaselineVersion.Length > 0 && RolloutGateCheck.MetricRegression(r, status) is null ? $"{r.Gates.MinGroundTruth} ground-truth labels for both versions"
        : null;

    protected static string Reason(string what, string why) => why.Length == 0 ? what : $"{what}: {why}";

    protected static void RequireNoStages(RolloutSpec spec)
    {
        if (spec.Stages.Count > 0)
        {
            throw RejectedException.Invalid("stages apply to STAGED rollouts only.");
        }
    }

    protected static void RequireNoBanditVersions(RolloutSpec spec)
    {
        if (spec.BanditVersions.Count > 0)
        {
            throw RejectedException.Invalid("bandit_versions apply to BANDIT rollouts only.");
        }
    }

    /// <summary>A baseline version kept installed beside this rollout's, serving nothing.</summary>
    protected static AssignedVersion AsStandby(AssignedVersion v)
    {
        var copy = v.Clone();
        copy.Weight = 0;
        copy.Standby = true;
        return copy;
    }
}
