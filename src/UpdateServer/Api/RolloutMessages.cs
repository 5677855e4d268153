using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>Maps rollout messages to the rollout domain and back.</summary>
internal static class RolloutMessages
{
    /// <summary>The request in domain terms; gates the request leaves unset take their defaults (<see cref="RolloutGates.Default"/>).</summary>
    public static RolloutSpec ToSpec(CreateRolloutRequest request) => new(
        request.Model,
        request.Version,
        request.CanaryPercent,
        [.. request.Stages],
        [.. request.BanditVersions],
        request.TargetAttributes.ToDictionary(),
        [.. request.TargetTags],
        ToGates(request.Gates),
        request.OnFailure == FailureAction.Pause ? (int)FailureAction.Pause : (int)FailureAction.Rollback);

    public static RolloutEvent ToMessage(RolloutEventRecord e)
    {
        var message = new RolloutEvent { AtUnixMs = e.AtUnixMs, Actor = e.Actor, Action = e.Action, State = e.State, Stage = e.Stage, Reason = e.Reason };
        message.Arms.AddRange(e.Arms.Select(a => new ArmWeight { Version = a.Version, Weight = a.Weight }));
        return message;
    }

    public static Rollout ToMessage(RolloutRecord r, RolloutStatus status)
    {
        var g = r.Gates;
        var rollout = new Rollout
        {
            Id = r.Id,
            Model = r.Model,
            Version = r.Version,
            Strategy = r.Strategy,
            CanaryPercent = r.CanaryPercent,
            State = r.State.Name(),
            CreatedUnixMs = r.CreatedUnixMs,
            TargetedDevices = status.Members,
            InstalledDevices = status.Succeeded,
            FailedDevices = status.Failed + status.TimedOut,
            TimedOutDevices = status.TimedOut,
            PendingDevices = status.Pending,
            CurrentStage = r.CurrentStage,
            CurrentPercent = r.Stages[Math.Clamp(r.CurrentStage, 0, r.Stages.Count - 1)],
            StateReason = r.StateReason,
            OnFailure = (FailureAction)r.OnFailure,
            BaselineVersion = r.BaselineVersion,
            StageStartedUnixMs = r.StageStartedUnixMs,
            Gates = new HealthGates
            {
                MinInstallSuccessRate = g.MinInstallSuccessRate,
                MaxErrorRate = g.MaxErrorRate,
                MinGroundTruth = g.MinGroundTruth,
                MinRequests = g.MinRequests,
                StageMinSeconds = g.StageMinSeconds,
                DeviceTimeoutSeconds = g.DeviceTimeoutSeconds,
                FailOnAlerts = g.FailOnAlerts,
            },
        };
        if (g.MaxLatencyP95Ms is { } latency)
        {
            rollout.Gates.MaxLatencyP95Ms = latency;
        }

        if (g.MaxMetricRegression is { } regression)
        {
            rollout.Gates.MaxMetricRegression = regression;
        }

        rollout.Stages.AddRange(r.Stages);
        rollout.TargetAttributes.Add(r.TargetAttributes.ToDictionary());
        rollout.TargetTags.AddRange(r.TargetTags);
        foreach (var report in status.Reports)
        {
            var install = new DeviceInstall { DeviceId = report.DeviceId, Version = report.Version, Success = report.Success, Reason = report.Reason, AtUnixMs = report.AtUnixMs };
            if (InstallFigures.FromStored(report) is { } gate)
            {
                install.Gate = gate;
            }

            rollout.Installs.Add(install);
        }

        foreach (var h in new[] { status.Health, status.Baseline }.OfType<VersionHealthSummary>())
        {
            rollout.Health.Add(new VersionHealth
            {
                Version = h.Version,
                Shadow = h.Shadow,
                Requests = h.Totals.Requests,
                Errors = h.Totals.Errors,
                ErrorRate = h.ErrorRate,
                LatencyP95Ms = h.LatencyP95Ms,
                GroundTruth = h.Totals.GroundTruth,
                OnlineMetric = h.OnlineMetric,
                MetricName = h.MetricName,
                SinceUnixMs = r.StageStartedUnixMs,
            });
        }

        foreach (var (arm, i) in r.Arms.Select((a, i) => (a, i)))
        {
            var evidence = status.Arms.ElementAtOrDefault(i);
            rollout.Arms.Add(new ArmWeight { Version = arm.Version, Weight = arm.Weight, Successes = evidence.Successes, Failures = evidence.Failures });
        }

        return rollout;
    }

    private static RolloutGates ToGates(HealthGates? gates)
    {
        var d = RolloutGates.Default;
        return gates is null
            ? d
            : new RolloutGates(
                gates.HasMinInstallSuccessRate ? gates.MinInstallSuccessRate : d.MinInstallSuccessRate,
                gates.HasMaxErrorRate ? gates.MaxErrorRate : d.MaxErrorRate,
                gates.HasMaxLatencyP95Ms ? gates.MaxLatencyP95Ms : d.MaxLatencyP95Ms,
                gates.HasMaxMetricRegression ? gates.MaxMetricRegression : d.MaxMetricRegression,
                gates.HasMinGroundTruth ? gates.MinGroundTruth : d.MinGroundTruth,
                gates.HasMinRequests ? gates.MinRequests : d.MinRequests,
                gates.HasStageMinSeconds ? gates.StageMinSeconds : d.StageMinSeconds,
                gates.HasDeviceTimeoutSeconds ? gates.DeviceTimeoutSeconds : d.DeviceTimeoutSeconds,
                gates.HasFailOnAlerts ? gates.FailOnAlerts : d.FailOnAlerts);
    }
}
