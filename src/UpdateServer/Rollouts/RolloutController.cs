using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// Moves rollouts along: evaluates each active rollout's health gates (install success, device-reported gate results,
/// silent devices, error rate, latency p95, online metric against the baseline), advances staged rollouts stage by
/// stage, completes them, re-weights bandits, and pauses or rolls back a rollout the moment a gate fails.
/// </summary>
internal sealed class RolloutController(IUpdateStore store, RolloutPlanner planner, RolloutStrategies strategies, PackageFacts facts, AlertEvaluator alerts, TimeProvider time, ServerMetrics metrics, ILogger<RolloutController> logger)
{
    private readonly SemaphoreSlim _evaluating = new(1, 1);

    /// <summary>Evaluates every active rollout once.</summary>
    public async Task EvaluateAllAsync(CancellationToken cancellationToken)
    {
        await _evaluating.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var span = ServerTracing.Start("edgedeploy.rollouts.evaluate");
        var started = time.GetTimestamp();
        try
        {
            await alerts.EvaluateAsync(cancellationToken).ConfigureAwait(false); // first, so gates see this tick's alerts
            foreach (var rollout in await store.ListRolloutsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                if (rollout.State != RolloutState.Active)
                {
                    continue;
                }

                try
                {
                    await EvaluateAsync(rollout, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One rollout's fault (bad stored data, a strategy bug) marks that rollout and never stops the others.
                    ServerLog.RolloutEvaluationFailed(logger, ex, rollout.Id, rollout.Model, rollout.Version, ex.Message);
                    await MarkFailedAsync(rollout, ex, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            metrics.Evaluated(time.GetElapsedTime(started));
            _evaluating.Release();
        }

        planner.Invalidate(); // also picks up rollouts another server instance changed
    }

    public async Task<RolloutStatus> StatusAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var timeoutMs = r.Gates.DeviceTimeoutSeconds * 1000L;
        var reports = await store.GetLatestInstallReportsAsync(r.Id, cancellationToken).ConfigureAwait(false);
        int succeeded = 0, failed = 0, timedOut = 0, pending = 0;
        var members = await planner.MembersAsync(r, cancellationToken).ConfigureAwait(false);
        foreach (var device in members)
        {
            if (!reports.TryGetValue(device.Record.DeviceId, out var report))
            {
                // No answer yet: pending within the timeout, failed after it.
                if (now - r.StageStartedUnixMs > timeoutMs)
                {
                    timedOut++;
                }
                else
                {
                    pending++;
                }
            }
            else if (!report.Success)
            {
                failed++;
            }
            else if (r.State != RolloutState.Completed && now - device.LastSeenUnixMs > timeoutMs)
            {
                timedOut++; // installed, then went silent
            }
            else
            {
                succeeded++;
            }
        }

        var health = await SummaryAsync(r.Model, r.Version, strategies.Of(r).MeasuresShadow, r.StageStartedUnixMs, cancellationToken).ConfigureAwait(false);
        var baseline = r.BaselineVersion.Length == 0 ? null : await SummaryAsync(r.Model, r.BaselineVersion, false, r.StageStartedUnixMs, cancellationToken).ConfigureAwait(false);
        var arms = new List<(string, long, long)>();
        foreach (var arm in r.Arms)
        {
            var t = await store.SumHealthAsync(r.Model, arm.Version, false, r.CreatedUnixMs, long.MaxValue, cancellationToken).ConfigureAwait(false);
            arms.Add((arm.Version, t.Correct, t.GroundTruth - t.Correct));
        }

        var firing = (await store.ListAlertsAsync(includeResolved: false, cancellationToken).ConfigureAwait(false))
            .Where(a => a.Model == r.Model && (a.Version == r.Version || r.Arms.Any(arm => arm.Version == a.Version))).ToList();
        var memberReports = members.Select(d => reports.GetValueOrDefault(d.Record.DeviceId)).OfType<InstallReportRecord>().OrderBy(x => x.DeviceId, StringComparer.Ordinal).ToList();
        return new RolloutStatus(members.Count, succeeded, failed, timedOut, pending, health, baseline, arms, firing, memberReports);
    }

    /// <summary>Applies an operator action; returns the updated rollout.</summary>
    public async Task<RolloutRecord> ApplyAsync(RolloutRecord r, RolloutAction action, string reason, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var updated = action switch
        {
            RolloutAction.Pause => r with { State = RolloutState.Paused, StateReason = Reason("paused by " + actor, reason) },
            RolloutAction.Resume => r with { State = RolloutState.Active, StateReason = Reason("resumed by " + actor, reason), StageStartedUnixMs = now },
            RolloutAction.Rollback => r with { State = RolloutState.RolledBack, StateReason = Reason("rolled back by " + actor, reason) },
            RolloutAction.Promote => strategies.Of(r).Promote(r, now, actor == Operators.OperatorIdentity.SharedTokenName ? reason : Reason("by " + actor, reason)),
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown rollout action."),
        };
        await SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        await RecordAsync(updated, now, actor, ActionName(action), reason, cancellationToken).ConfigureAwait(false);
        metrics.Transitioned(updated.State.Name());
        ServerLog.RolloutChanged(logger, r.Id, r.Model, r.Version, updated.State.Name(), updated.CurrentStage, updated.StateReason);
        return updated;
    }

    private async Task EvaluateAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(r, cancellationToken).ConfigureAwait(false);
        var gateFailure = RolloutGateCheck.GateFailure(r, status);
        metrics.GateOutcome("health", gateFailure is null);
        if (gateFailure is { } failure)
        {
            var stopped = r with
            {
                State = r.OnFailure == (int)FailureAction.Pause ? RolloutState.Paused : RolloutState.RolledBack,
                StateReason = "health gate failed: " + failure,
            };
            if (!await SaveIfUnchangedAsync(r, stopped, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await RecordAsync(stopped, time.GetUtcNow().ToUnixTimeMilliseconds(), Controller, stopped.State == RolloutState.Paused ? "paused" : "rolled back", stopped.StateReason, cancellationToken).ConfigureAwait(false);

            metrics.Transitioned(stopped.State.Name());

            ServerLog.RolloutGateFailed(logger, r.Id, r.Model, r.Version, stopped.State.Name(), failure);
            return;
        }

        var next = strategies.Of(r).Evaluate(r, status, time.GetUtcNow().ToUnixTimeMilliseconds());
        if (ReferenceEquals(next, r))
        {
            return;
        }

        if (!await SaveIfUnchangedAsync(r, next, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (next.State != r.State || next.CurrentStage != r.CurrentStage)
        {
            var action = next.State != r.State ? next.State.Name() : "advanced";
            await RecordAsync(next, now, Controller, action, next.StateReason + " (" + GateValues(r, status) + ")", cancellationToken).ConfigureAwait(false);
        }
        else if (!next.Arms.SequenceEqual(r.Arms))
        {
            await RecordAsync(next, now, Controller, "reweighted", Invariant($"arm weights from {string.Join(", ", status.Arms.Select(a => $"{a.Version}: {a.Successes} correct, {a.Failures} wrong"))}"), cancellationToken).ConfigureAwait(false);
        }

        if (next.State != r.State || next.CurrentStage != r.CurrentStage)
        {
            metrics.Transitioned(next.State.Name());
            ServerLog.RolloutChanged(logger, r.Id, r.Model, r.Version, next.State.Name(), next.CurrentStage, next.StateReason);
        }
    }

    /// <summary>The actor the evaluation tick's history entries name.</summary>
    public const string Controller = "controller";

    /// <summary>How an operator action reads in the history.</summary>
    public static string ActionName(RolloutAction action) => action switch
    {
        RolloutAction.Pause => "paused",
        RolloutAction.Resume => "resumed",
        RolloutAction.Rollback => "rolled back",
        _ => "promoted",
    };

    /// <summary>The gate figures an evaluation judged, as its history entry quotes them.</summary>
    internal static string GateValues(RolloutRecord r, RolloutStatus s)
    {
        var h = s.Health;
        var text = Invariant($"installs {s.Succeeded} of {s.Members} ({s.Failed} failed, {s.TimedOut} silent); error rate {h.ErrorRate * 100:F2}% on {h.Totals.Requests} requests; latency p95 {h.LatencyP95Ms:F3} ms");
        if (RolloutGateCheck.MetricRegression(r, s) is { } regression)
        {
            text += Invariant($"; online {h.MetricName} {h.OnlineMetric:F4}, {regression:F4} worse than the baseline");
        }

        return text + (s.FiringAlerts.Count > 0 ? Invariant($"; {s.FiringAlerts.Count} alerts firing") : string.Empty);
    }

    /// <summary>Appends a history entry; a failure to write it is logged, never undoes the change it describes.</summary>
    internal async Task RecordAsync(RolloutRecord r, long atUnixMs, string actor, string action, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await store.AddRolloutEventAsync(new RolloutEventRecord(r.Id, atUnixMs, actor, action, r.State.Name(), r.CurrentStage, reason, r.Arms), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ServerLog.RolloutEvaluationFailed(logger, ex, r.Id, r.Model, r.Version, "history entry not stored: " + ex.Message);
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<VersionHealthSummary> SummaryAsync(string model, string version, bool shadow, long since, CancellationToken cancellationToken)
    {
        var (higherIsBetter, name) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        return new VersionHealthSummary(version, shadow, await store.SumHealthAsync(model, version, shadow, since, long.MaxValue, cancellationToken).ConfigureAwait(false), higherIsBetter, name);
    }

    private async Task SaveAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        await store.UpdateRolloutProgressAsync(r, cancellationToken).ConfigureAwait(false);
        planner.Invalidate();
    }

    /// <summary>
    /// Saves an evaluation's outcome unless the rollout moved on since it was read (an operator's pause or rollback, through
    /// any replica, or a second leader's evaluation during a failover): the next tick evaluates the rollout as it is now.
    /// </summary>
    private async Task<bool> SaveIfUnchangedAsync(RolloutRecord read, RolloutRecord next, CancellationToken cancellationToken)
    {
        if (await store.GetRolloutAsync(read.Id, cancellationToken).ConfigureAwait(false) is not { } current
            || current.State != read.State || current.CurrentStage != read.CurrentStage || current.StageStartedUnixMs != read.StageStartedUnixMs)
        {
            planner.Invalidate();
            return false;
        }

        await SaveAsync(next, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Records the failure as the rollout's state reason (it stays active: the next tick retries).</summary>
    private async Task MarkFailedAsync(RolloutRecord rollout, Exception ex, CancellationToken cancellationToken)
    {
        var reason = EvaluationFailedPrefix + ex.GetType().Name + ": " + ex.Message;
        if (rollout.StateReason == reason)
        {
            return;
        }

        try
        {
            await store.UpdateRolloutProgressAsync(rollout with { StateReason = reason }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception saveFailed) when (saveFailed is not OperationCanceledException)
        {
            ServerLog.RolloutEvaluationFailed(logger, saveFailed, rollout.Id, rollout.Model, rollout.Version, "could not record the failure: " + saveFailed.Message);
        }
    }

    /// <summary>How a rollout's state reason starts while its evaluation fails.</summary>
    public const string EvaluationFailedPrefix = "evaluation failed (retried every tick): ";

    private static string Reason(string what, string why) => why.Length == 0 ? what : $"{what}: {why}";

}
