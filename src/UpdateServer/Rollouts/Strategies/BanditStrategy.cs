using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts.Strategies;

/// <summary>
/// Traffic split across versions (arms) of classifiers, re-weighted on every evaluation by Thompson sampling on
/// ground-truth reward; promote keeps the best arm.
/// </summary>
internal sealed class BanditStrategy(IUpdateStore store, PackageFacts facts) : RolloutStrategyBase
{
    /// <summary>Exploration floor: every bandit arm keeps at least this share before normalisation.</summary>
    public const double Floor = 0.02;

    public override RolloutStrategy Kind => RolloutStrategy.Bandit;

    public override async Task<RolloutShape> ValidateAsync(RolloutSpec spec, CancellationToken cancellationToken)
    {
        RequireNoStages(spec);
        var versions = spec.BanditVersions.Prepend(spec.Version).ToList();
        if (versions.Count < 2 || versions.Distinct(StringComparer.Ordinal).Count() != versions.Count)
        {
            throw RejectedException.Invalid("a bandit needs at least two distinct versions: version plus bandit_versions.");
        }

        foreach (var v in versions)
        {
            if (await store.GetPackageAsync(spec.Model, v, cancellationToken).ConfigureAwait(false) is null)
            {
                throw RejectedException.NotFound($"Bandit arm {spec.Model} {v} is not published.");
            }

            if (!(await facts.MetricKindAsync(spec.Model, v, cancellationToken).ConfigureAwait(false)).HigherIsBetter)
            {
                throw RejectedException.Invalid($"{spec.Model} {v} is a regressor; the bandit rewards correct labels, so it needs classifiers.");
            }
        }

        return new RolloutShape([100], 0, [.. versions.Select(v => new ArmRecord(v, Math.Round(1.0 / versions.Count, 4)))]);
    }

    public override double MemberPercent(RolloutRecord rollout) => 100;

    public override string PrimaryVersion(RolloutRecord rollout) =>
        rollout.Arms.Count > 0 ? rollout.Arms.MaxBy(a => a.Weight)!.Version : rollout.Version;

    public override IReadOnlyList<AssignedVersion?>? Assign(RolloutRecord rollout, IAssignmentContext context) =>
        [.. rollout.Arms.Select(a => context.Hold(a.Version, VersionRole.Route, a.Weight))];

    public override RolloutRecord Promote(RolloutRecord rollout, long nowUnixMs, string reason)
    {
        var best = rollout.Arms.MaxBy(a => a.Weight)!.Version;
        return rollout with { State = RolloutState.Completed, Arms = [new ArmRecord(best, 1)], StateReason = Reason($"promoted best arm {best} by operator", reason) };
    }

    /// <summary>Re-weights the arms; a bandit never advances or completes on its own.</summary>
    public override RolloutRecord Evaluate(RolloutRecord rollout, RolloutStatus status, long nowUnixMs)
    {
        var weights = ThompsonSampler.Weights([.. status.Arms.Select(a => (a.Successes, a.Failures))], Floor, StableSeed(rollout.Id, status.Arms));
        var arms = rollout.Arms.Select((a, i) => new ArmRecord(a.Version, Math.Round(weights[i], 4))).ToList();
        return arms.SequenceEqual(rollout.Arms)
            ? rollout
            : rollout with { Arms = arms, StateReason = "weights from " + string.Join(", ", status.Arms.Select(a => $"{a.Version} {a.Successes}/{a.Successes + a.Failures}")) };
    }

    /// <summary>The same rollout and evidence give the same seed in any process (string.GetHashCode is per-process).</summary>
    private static int StableSeed(string id, IEnumerable<(string Version, long Successes, long Failures)> arms)
    {
        var text = id + string.Concat(arms.Select(a => $"|{a.Version}:{a.Successes}:{a.Failures}"));
        return BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
