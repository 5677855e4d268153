using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// Rollouts as operators see them: create (the strategy validates its part), find, list and act on one. The gRPC
/// registry service maps its calls onto these; the controller moves rollouts along between calls.
/// </summary>
internal sealed class RolloutService(
    IUpdateStore store,
    RolloutPlanner planner,
    RolloutController controller,
    RolloutStrategies strategies,
    TimeProvider time,
    ILogger<RolloutService> logger)
{
    /// <summary>The states each operator action applies to.</summary>
    private static readonly Dictionary<RolloutAction, RolloutState[]> AllowedStates = new()
    {
        [RolloutAction.Pause] = [RolloutState.Active],
        [RolloutAction.Resume] = [RolloutState.Paused],
        [RolloutAction.Rollback] = [RolloutState.Active, RolloutState.Paused, RolloutState.Completed],
        [RolloutAction.Promote] = [RolloutState.Active, RolloutState.Paused],
    };

    /// <summary>Whether <paramref name="action"/> applies to a rollout in <paramref name="state"/> (what the console offers).</summary>
    public static bool AppliesTo(RolloutAction action, RolloutState state) => AllowedStates[action].Contains(state);

    /// <summary>Validates and stores a new rollout; it starts active at its first stage.</summary>
    /// <exception cref="RejectedException">An unknown strategy, an unpublished version, or a request the strategy or gates refuse.</exception>
    public async Task<RolloutRecord> CreateAsync(RolloutStrategy kind, RolloutSpec spec, CancellationToken cancellationToken) =>
        await CreateAsync(kind, spec, string.Empty, cancellationToken).ConfigureAwait(false);

    /// <summary>Validates and stores a new rollout created by <paramref name="actor"/>; it starts active at its first stage.</summary>
    /// <exception cref="RejectedException">An unknown strategy, an unpublished version, or a request the strategy or gates refuse.</exception>
    public async Task<RolloutRecord> CreateAsync(RolloutStrategy kind, RolloutSpec spec, string actor, CancellationToken cancellationToken)
    {
        var strategy = strategies.Find(kind) ?? throw RejectedException.Invalid(strategies.Known);
        if (await store.GetPackageAsync(spec.Model, spec.Version, cancellationToken).ConfigureAwait(false) is null)
        {
            throw RejectedException.NotFound($"{spec.Model} {spec.Version} is not published.");
        }

        var shape = await strategy.ValidateAsync(spec, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new RolloutRecord(
            "ro-" + Guid.CreateVersion7().ToString("N"),
            spec.Model,
            spec.Version,
            kind,
            shape.CanaryPercent,
            spec.TargetAttributes,
            spec.TargetTags,
            RolloutState.Active,
            now)
        {
            Stages = shape.Stages,
            Gates = ValidGates(spec.Gates),
            OnFailure = spec.OnFailure,
            Arms = shape.Arms,
            StageStartedUnixMs = now,
            StateReason = "created",
        };
        record = record with { BaselineVersion = await planner.BaselineForAsync(record, cancellationToken).ConfigureAwait(false) };
        await store.AddRolloutAsync(record, cancellationToken).ConfigureAwait(false);
        await controller.RecordAsync(record, now, actor, "created", string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{kind} to {string.Join(", ", record.Stages.Select(p => p.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "%"))}{(record.BaselineVersion.Length > 0 ? ", baseline " + record.BaselineVersion : string.Empty)}"), cancellationToken).ConfigureAwait(false);
        planner.Invalidate();
        ServerLog.RolloutCreated(logger, record.Id, record.Model, record.Version, kind.ToString(), record.BaselineVersion);
        return record;
    }

    /// <exception cref="RejectedException">No such rollout.</exception>
    public async Task<RolloutRecord> FindAsync(string id, CancellationToken cancellationToken) =>
        await store.GetRolloutAsync(id, cancellationToken).ConfigureAwait(false) ?? throw RejectedException.NotFound($"No rollout '{id}'.");

    /// <summary>Every rollout (of one model, or all when null), newest first.</summary>
    public Task<IReadOnlyList<RolloutRecord>> ListAsync(string? model, CancellationToken cancellationToken) => store.ListRolloutsAsync(model, cancellationToken);

    /// <summary>Applies an operator action to a rollout in a state it applies to.</summary>
    /// <exception cref="RejectedException">No such rollout, or the action does not apply to its state.</exception>
    public async Task<RolloutRecord> ActAsync(string id, RolloutAction action, string reason, string actor, CancellationToken cancellationToken)
    {
        var record = await FindAsync(id, cancellationToken).ConfigureAwait(false);
        var allowed = AllowedStates[action];
        if (!allowed.Contains(record.State))
        {
            throw new RejectedException(
                Rejection.FailedPrecondition,
                $"Rollout {record.Id} is {record.State.Name()}; {action.ToString().ToLowerInvariant()} applies to {string.Join(" or ", allowed.Select(s => s.Name()))} rollouts.");
        }

        return await controller.ApplyAsync(record, action, reason, actor, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest entries of a rollout's history (at most <see cref="HistoryLimit"/>), oldest first.</summary>
    public Task<IReadOnlyList<RolloutEventRecord>> HistoryAsync(string id, CancellationToken cancellationToken) => store.ListRolloutEventsAsync(id, HistoryLimit, cancellationToken);

    /// <summary>How many history entries a rollout's status returns.</summary>
    public const int HistoryLimit = 500;

    /// <summary>Members' install outcomes and the health of the version and its baseline.</summary>
    public Task<RolloutStatus> StatusAsync(RolloutRecord rollout, CancellationToken cancellationToken) => controller.StatusAsync(rollout, cancellationToken);

    private static RolloutGates ValidGates(RolloutGates gates) => gates switch
    {
        { MinInstallSuccessRate: < 0 or > 1 } or { MaxErrorRate: < 0 or > 1 } => throw RejectedException.Invalid("min_install_success_rate and max_error_rate are shares in [0, 1]."),
        _ when !double.IsFinite(gates.MinInstallSuccessRate) || !double.IsFinite(gates.MaxErrorRate) => throw RejectedException.Invalid("gate thresholds must be finite numbers."),
        { MaxLatencyP95Ms: <= 0 } or { MaxMetricRegression: < 0 } => throw RejectedException.Invalid("max_latency_p95_ms must be positive and max_metric_regression non-negative."),
        { MinGroundTruth: < 1 } or { MinRequests: < 1 } or { StageMinSeconds: < 0 } or { DeviceTimeoutSeconds: < 1 } =>
            throw RejectedException.Invalid("min_ground_truth and min_requests must be at least 1, stage_min_seconds at least 0, device_timeout_seconds at least 1."),
        _ => gates,
    };
}
