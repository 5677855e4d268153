using System.Security.Cryptography;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Services;

internal sealed class RegistryServiceImpl(
    Auth auth,
    IUpdateStore store,
    FleetDirectory fleet,
    IBlobStore blobs,
    RolloutPlanner planner,
    RolloutController controller,
    PackageFacts facts,
    ITelemetryStore telemetry,
    UpdateServerOptions options,
    TimeProvider time,
    ILogger<RegistryServiceImpl> logger)
    : RegistryService.RegistryServiceBase
{
    public override async Task<PublishResponse> PublishPackage(IAsyncStreamReader<PublishChunk> requestStream, ServerCallContext context)
    {
        auth.RequireOperator(context);
        using var buffer = new MemoryStream();
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (buffer.Length + chunk.Data.Length > options.MaxPackageBytes)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The package exceeds the {options.MaxPackageBytes}-byte upload limit."));
            }

            chunk.Data.WriteTo(buffer);
        }

        var bytes = buffer.ToArray();
        VerifiedPackage verified;
        try
        {
            // The server checks what devices will check (clock aside: a publish is not an install, so no rollback state).
            verified = new PackageVerifier(TrustStore.Open(options.TrustDirectory), new PackageVerifierOptions { TimeProvider = time, MaxPackageBytes = options.MaxPackageBytes })
                .Verify(bytes);
        }
        catch (EdgeException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{ex.Code}: {ex.Message}"));
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var m = verified.Manifest;
        await blobs.PutAsync(sha, new MemoryStream(bytes, writable: false), options.MaxPackageBytes, context.CancellationToken).ConfigureAwait(false);
        var record = new PackageRecord(m.Name, m.Version, sha, bytes.Length, time.GetUtcNow().ToUnixTimeMilliseconds(), verified.ManifestJson);
        if (!await store.TryAddPackageAsync(record, context.CancellationToken).ConfigureAwait(false))
        {
            var existing = await store.GetPackageAsync(m.Name, m.Version, context.CancellationToken).ConfigureAwait(false);
            if (existing!.Sha256 != sha)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"{m.Name} {m.Version} is already published with different content; versions are immutable."));
            }

            return Response(existing, alreadyPresent: true);
        }

        ServerLog.Published(logger, m.Name, m.Version, sha, bytes.Length);
        return Response(record, alreadyPresent: false);
    }

    public override async Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListVersionsResponse();
        foreach (var p in await store.ListPackagesAsync(request.Model, context.CancellationToken).ConfigureAwait(false))
        {
            response.Versions.Add(new ModelVersionInfo { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, PublishedUnixMs = p.PublishedUnixMs, ManifestJson = p.ManifestJson });
        }

        return response;
    }

    public override async Task<Rollout> CreateRollout(CreateRolloutRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var ct = context.CancellationToken;
        if (request.Strategy == RolloutStrategy.Unspecified || !Enum.IsDefined(request.Strategy))
        {
            throw Invalid("strategy must be one of ALL_AT_ONCE, CANARY, STAGED, BLUE_GREEN, SHADOW, BANDIT.");
        }

        if (await store.GetPackageAsync(request.Model, request.Version, ct).ConfigureAwait(false) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"{request.Model} {request.Version} is not published."));
        }

        IReadOnlyList<double> stages = request.Strategy switch
        {
            RolloutStrategy.Canary when request.CanaryPercent is > 0 and < 100 => [request.CanaryPercent, 100], // holds at the first until promoted
            RolloutStrategy.Canary when request.CanaryPercent == 100 => [100],
            RolloutStrategy.Canary => throw Invalid("canary_percent must be in (0, 100]."),
            RolloutStrategy.Staged => ValidStages(request.Stages),
            _ when request.Stages.Count > 0 => throw Invalid("stages apply to STAGED rollouts only."),
            _ => [100],
        };

        List<ArmRecord> arms = [];
        if (request.Strategy == RolloutStrategy.Bandit)
        {
            var versions = request.BanditVersions.Prepend(request.Version).ToList();
            if (versions.Count < 2 || versions.Distinct(StringComparer.Ordinal).Count() != versions.Count)
            {
                throw Invalid("a bandit needs at least two distinct versions: version plus bandit_versions.");
            }

            foreach (var v in versions)
            {
                if (await store.GetPackageAsync(request.Model, v, ct).ConfigureAwait(false) is null)
                {
                    throw new RpcException(new Status(StatusCode.NotFound, $"Bandit arm {request.Model} {v} is not published."));
                }

                if (!(await facts.MetricKindAsync(request.Model, v, ct).ConfigureAwait(false)).HigherIsBetter)
                {
                    throw Invalid($"{request.Model} {v} is a regressor; the bandit rewards correct labels, so it needs classifiers.");
                }
            }

            arms = [.. versions.Select(v => new ArmRecord(v, Math.Round(1.0 / versions.Count, 4)))];
        }
        else if (request.BanditVersions.Count > 0)
        {
            throw Invalid("bandit_versions apply to BANDIT rollouts only.");
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var record = new RolloutRecord(
            "ro-" + Guid.CreateVersion7().ToString("N"),
            request.Model,
            request.Version,
            (int)request.Strategy,
            request.Strategy == RolloutStrategy.Canary ? request.CanaryPercent : 0,
            request.TargetAttributes.ToDictionary(),
            [.. request.TargetTags],
            "active",
            now)
        {
            Stages = stages,
            Gates = ValidGates(request.Gates),
            OnFailure = request.OnFailure == FailureAction.Pause ? (int)FailureAction.Pause : (int)FailureAction.Rollback,
            Arms = arms,
            StageStartedUnixMs = now,
            StateReason = "created",
        };
        record = record with { BaselineVersion = await planner.BaselineForAsync(record, ct).ConfigureAwait(false) };
        await store.AddRolloutAsync(record, ct).ConfigureAwait(false);
        planner.Invalidate();
        ServerLog.RolloutCreated(logger, record.Id, record.Model, record.Version, request.Strategy.ToString(), record.BaselineVersion);
        return await Describe(record, ct).ConfigureAwait(false);
    }

    public override async Task<Rollout> GetRollout(GetRolloutRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        return await Describe(await Find(request.Id, context.CancellationToken).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListRolloutsResponse> ListRollouts(ListRolloutsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListRolloutsResponse();
        foreach (var r in await store.ListRolloutsAsync(request.Model.Length == 0 ? null : request.Model, context.CancellationToken).ConfigureAwait(false))
        {
            response.Rollouts.Add(await Describe(r, context.CancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    public override Task<Rollout> PauseRollout(RolloutActionRequest request, ServerCallContext context) => Act(request, context, "pause", ["active"]);

    public override Task<Rollout> ResumeRollout(RolloutActionRequest request, ServerCallContext context) => Act(request, context, "resume", ["paused"]);

    public override Task<Rollout> RollbackRollout(RolloutActionRequest request, ServerCallContext context) => Act(request, context, "rollback", ["active", "paused", "completed"]);

    public override Task<Rollout> PromoteRollout(RolloutActionRequest request, ServerCallContext context) => Act(request, context, "promote", ["active", "paused"]);

    public override async Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListDevicesResponse();
        foreach (var d in await fleet.AllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            var info = new DeviceInfo { DeviceId = d.Record.DeviceId, RuntimeVersion = d.Record.RuntimeVersion, LastSeenUnixMs = d.LastSeenUnixMs };
            info.Attributes.Add(d.Record.Attributes.ToDictionary());
            info.Tags.AddRange(d.Record.Tags);
            info.Installed.AddRange(d.Installed.Select(i => new InstalledModel { Name = i.Model, Version = i.Version }));
            response.Devices.Add(info);
        }

        return response;
    }

    public override async Task<VersionStatsResponse> GetVersionStats(VersionStatsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var ct = context.CancellationToken;
        var (higherIsBetter, metric) = await facts.MetricKindAsync(request.Model, request.Version, ct).ConfigureAwait(false);
        var response = new VersionStatsResponse();
        foreach (var (from, until) in Windows(request))
        {
            var s = telemetry.Summarize(request.Model, request.Version, from, until);
            var health = new VersionHealthSummary(request.Version, false, await store.SumHealthAsync(request.Model, request.Version, false, from, until, ct).ConfigureAwait(false), higherIsBetter, metric);
            var window = new VersionWindow
            {
                FromUnixMs = from,
                ToUnixMs = until,
                Requests = s.Requests,
                LatencyP50Us = s.LatencyP50Micros,
                LatencyP95Us = s.LatencyP95Micros,
                LatencyP99Us = s.LatencyP99Micros,
                MissingFraction = s.MissingFraction,
                GroundTruth = s.GroundTruth,
                OnlineMetric = OnlineMetric.Of(s.GroundTruth, s.Correct, s.AbsErrorSum, higherIsBetter),
                MetricName = metric,
                ReportedRequests = health.Totals.Requests,
                ReportedErrors = health.Totals.Errors,
                ErrorRate = health.ErrorRate,
            };
            foreach (var (predicted, count) in s.PredictionCounts.OrderBy(p => p.Key))
            {
                window.Predictions[predicted.ToString(System.Globalization.CultureInfo.InvariantCulture)] = count;
            }

            response.Windows.Add(window);
        }

        return response;
    }

    public override async Task<SlicesResponse> GetSlices(VersionStatsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var ct = context.CancellationToken;
        var windows = Windows(request);
        var manifest = await facts.ManifestAsync(request.Model, request.Version, ct).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"{request.Model} {request.Version} is not published."));
        var (higherIsBetter, metric) = await facts.MetricKindAsync(request.Model, request.Version, ct).ConfigureAwait(false);
        var summaries = windows.Select(w => telemetry.Summarize(request.Model, request.Version, w.From, w.Until).Slices).ToList();
        var response = new SlicesResponse { MetricName = metric };
        for (var i = 0; i < manifest.ModelCard.Slices.Count; i++)
        {
            var slice = manifest.ModelCard.Slices[i];
            var report = new SliceReport
            {
                Name = slice.Name,
                Definition = slice.Definition ?? string.Empty,
                HasPredicate = slice.Where is { Count: > 0 },
                CardMetric = slice.Metrics.TryGetValue(metric, out var offline) ? offline : double.NaN,
                CardCount = slice.Count,
            };
            var total = new SliceOutcomes(0, 0, 0, 0);
            for (var w = 0; w < windows.Count; w++)
            {
                var o = summaries[w].GetValueOrDefault(i) ?? new SliceOutcomes(0, 0, 0, 0);
                report.Windows.Add(ToWindow(windows[w].From, windows[w].Until, o));
                total = new SliceOutcomes(total.Requests + o.Requests, total.GroundTruth + o.GroundTruth, total.Correct + o.Correct, total.AbsErrorSum + o.AbsErrorSum);
            }

            report.Total = ToWindow(windows[0].From, windows[^1].Until, total);
            response.Slices.Add(report);
        }

        return response;

        SliceWindow ToWindow(long from, long until, SliceOutcomes o) => new()
        {
            FromUnixMs = from,
            ToUnixMs = until,
            Requests = o.Requests,
            GroundTruth = o.GroundTruth,
            OnlineMetric = OnlineMetric.Of(o.GroundTruth, o.Correct, o.AbsErrorSum, higherIsBetter),
        };
    }

    /// <summary>The query's time windows: [from, to) cut into window_seconds steps (one window when 0), to defaulting to now.</summary>
    private List<(long From, long Until)> Windows(VersionStatsRequest request)
    {
        var to = request.ToUnixMs == 0 ? time.GetUtcNow().ToUnixTimeMilliseconds() : request.ToUnixMs;
        if (request.FromUnixMs < 0 || to <= request.FromUnixMs || request.WindowSeconds < 0)
        {
            throw Invalid("the time range must be non-empty (from < to) and window_seconds non-negative.");
        }

        var step = request.WindowSeconds == 0 ? to - request.FromUnixMs : request.WindowSeconds * 1000L;
        if ((to - request.FromUnixMs) / step > 1000)
        {
            throw Invalid("at most 1,000 windows per query; widen window_seconds.");
        }

        var windows = new List<(long, long)>();
        for (var from = request.FromUnixMs; from < to; from += step)
        {
            windows.Add((from, Math.Min(from + step, to)));
        }

        return windows;
    }

    public override async Task<DriftResponse> GetDrift(DriftRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var manifest = await facts.ManifestAsync(request.Model, request.Version, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"{request.Model} {request.Version} is not published."));
        var reference = manifest.DriftReference
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{request.Model} {request.Version} was packaged without a drift reference."));
        var counts = await store.SumDriftAsync(request.Model, request.Version, request.SinceUnixMs, context.CancellationToken).ConfigureAwait(false);
        var response = new DriftResponse();
        foreach (var (distribution, isOutput) in reference.Features.Select(f => (f, false)).Concat(reference.Outputs.Select(o => (o, true))))
        {
            var bins = distribution.Fractions.Count + (distribution.Kind == FeatureKind.Categorical ? 1 : 0);
            var (observed, missing) = counts.TryGetValue(distribution.Name, out var c) && c.Counts.Length == bins ? c : (new long[bins], 0L);
            var score = DriftScoring.Score(distribution, observed, missing);
            var feature = new FeatureDrift
            {
                Name = score.Name,
                Kind = score.Kind.ToString(),
                IsOutput = isOutput,
                Observed = score.Observed,
                MissingFraction = score.MissingFraction,
                ReferenceMissingFraction = score.ReferenceMissingFraction,
                Psi = score.Psi,
                JensenShannon = score.JensenShannon,
                Ks = score.Ks,
            };
            feature.ObservedFractions.AddRange(score.ObservedFractions);
            feature.ReferenceFractions.AddRange(distribution.Fractions);
            response.Features.Add(feature);
        }

        return response;
    }

    public override async Task<AlertRule> CreateAlertRule(AlertRule request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        if (string.IsNullOrEmpty(request.Model) || !AlertEvaluator.Metrics.Contains(request.Metric))
        {
            throw Invalid($"an alert rule needs a model and a metric: {string.Join(", ", AlertEvaluator.Metrics)}.");
        }

        if (AlertEvaluator.FeatureMetrics.Contains(request.Metric) != (request.Feature.Length > 0) || !double.IsFinite(request.Threshold) || request.WindowSeconds < 0 || request.MinSamples < 0)
        {
            throw Invalid("feature is required for psi, ks and jensen_shannon (a feature or output) and slice_metric (a slice name), and only for those; threshold must be finite; window_seconds and min_samples non-negative.");
        }

        // A rule for one published version can be checked now; one for "live versions" is judged per version later.
        if (request.Metric == "slice_metric" && request.Version.Length > 0
            && await facts.ManifestAsync(request.Model, request.Version, context.CancellationToken).ConfigureAwait(false) is { } manifest
            && !manifest.ModelCard.Slices.Any(s => s.Name == request.Feature && s.Where is { Count: > 0 }))
        {
            throw Invalid($"{request.Model} {request.Version}'s model card has no slice '{request.Feature}' with a predicate; it has: {string.Join(", ", manifest.ModelCard.Slices.Where(s => s.Where is { Count: > 0 }).Select(s => s.Name))}.");
        }

        var rule = new AlertRuleRecord(
            "ar-" + Guid.CreateVersion7().ToString("N"), request.Model, request.Version, request.Metric, request.Feature, request.Below, request.Threshold,
            request.WindowSeconds == 0 ? 300 : request.WindowSeconds, request.MinSamples == 0 ? 20 : request.MinSamples);
        await store.AddAlertRuleAsync(rule, context.CancellationToken).ConfigureAwait(false);
        return ToMessage(rule);
    }

    public override async Task<ListAlertRulesResponse> ListAlertRules(ListAlertRulesRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListAlertRulesResponse();
        response.Rules.AddRange((await store.ListAlertRulesAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToMessage));
        return response;
    }

    public override async Task<DeleteAlertRuleResponse> DeleteAlertRule(DeleteAlertRuleRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        return await store.DeleteAlertRuleAsync(request.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), context.CancellationToken).ConfigureAwait(false)
            ? new DeleteAlertRuleResponse()
            : throw new RpcException(new Status(StatusCode.NotFound, $"No alert rule '{request.Id}'."));
    }

    public override async Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListAlertsResponse();
        foreach (var a in await store.ListAlertsAsync(request.IncludeResolved, context.CancellationToken).ConfigureAwait(false))
        {
            response.Alerts.Add(new Alert
            {
                Id = a.Id, RuleId = a.RuleId, Model = a.Model, Version = a.Version, Metric = a.Metric, Value = a.Value, Threshold = a.Threshold,
                Firing = a.ResolvedUnixMs is null, OpenedUnixMs = a.OpenedUnixMs, ResolvedUnixMs = a.ResolvedUnixMs ?? 0, Message = a.Message,
            });
        }

        return response;
    }

    private static AlertRule ToMessage(AlertRuleRecord r) => new()
    {
        Id = r.Id, Model = r.Model, Version = r.Version, Metric = r.Metric, Feature = r.Feature, Below = r.Below, Threshold = r.Threshold,
        WindowSeconds = r.WindowSeconds, MinSamples = r.MinSamples,
    };

    private async Task<Rollout> Act(RolloutActionRequest request, ServerCallContext context, string action, string[] allowedStates)
    {
        auth.RequireOperator(context);
        var record = await Find(request.Id, context.CancellationToken).ConfigureAwait(false);
        if (!allowedStates.Contains(record.State))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Rollout {record.Id} is {record.State}; {action} applies to {string.Join(" or ", allowedStates)} rollouts."));
        }

        var updated = await controller.ApplyAsync(record, action, request.Reason, context.CancellationToken).ConfigureAwait(false);
        return await Describe(updated, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<RolloutRecord> Find(string id, CancellationToken cancellationToken) =>
        await store.GetRolloutAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No rollout '{id}'."));

    private async Task<Rollout> Describe(RolloutRecord r, CancellationToken cancellationToken)
    {
        var status = await controller.StatusAsync(r, cancellationToken).ConfigureAwait(false);
        var g = r.Gates;
        var rollout = new Rollout
        {
            Id = r.Id,
            Model = r.Model,
            Version = r.Version,
            Strategy = (RolloutStrategy)r.Strategy,
            CanaryPercent = r.CanaryPercent,
            State = r.State,
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
            });
        }

        foreach (var (arm, i) in r.Arms.Select((a, i) => (a, i)))
        {
            var evidence = status.Arms.ElementAtOrDefault(i);
            rollout.Arms.Add(new ArmWeight { Version = arm.Version, Weight = arm.Weight, Successes = evidence.Successes, Failures = evidence.Failures });
        }

        return rollout;
    }

    private static List<double> ValidStages(IReadOnlyList<double> stages)
    {
        if (stages.Count == 0 || stages.Any(p => !(p > 0 && p <= 100)) || stages.Zip(stages.Skip(1)).Any(p => p.Second <= p.First) || stages[^1] != 100)
        {
            throw Invalid("stages must be increasing percents in (0, 100] ending at 100, e.g. 10, 50, 100.");
        }

        return [.. stages];
    }

    private static RolloutGates ValidGates(HealthGates? gates)
    {
        var d = RolloutGates.Default;
        if (gates is null)
        {
            return d;
        }

        var result = new RolloutGates(
            gates.HasMinInstallSuccessRate ? gates.MinInstallSuccessRate : d.MinInstallSuccessRate,
            gates.HasMaxErrorRate ? gates.MaxErrorRate : d.MaxErrorRate,
            gates.HasMaxLatencyP95Ms ? gates.MaxLatencyP95Ms : d.MaxLatencyP95Ms,
            gates.HasMaxMetricRegression ? gates.MaxMetricRegression : d.MaxMetricRegression,
            gates.HasMinGroundTruth ? gates.MinGroundTruth : d.MinGroundTruth,
            gates.HasMinRequests ? gates.MinRequests : d.MinRequests,
            gates.HasStageMinSeconds ? gates.StageMinSeconds : d.StageMinSeconds,
            gates.HasDeviceTimeoutSeconds ? gates.DeviceTimeoutSeconds : d.DeviceTimeoutSeconds,
            gates.HasFailOnAlerts ? gates.FailOnAlerts : d.FailOnAlerts);
        return result switch
        {
            { MinInstallSuccessRate: < 0 or > 1 } or { MaxErrorRate: < 0 or > 1 } => throw Invalid("min_install_success_rate and max_error_rate are shares in [0, 1]."),
            _ when !double.IsFinite(result.MinInstallSuccessRate) || !double.IsFinite(result.MaxErrorRate) => throw Invalid("gate thresholds must be finite numbers."),
            { MaxLatencyP95Ms: <= 0 } or { MaxMetricRegression: < 0 } => throw Invalid("max_latency_p95_ms must be positive and max_metric_regression non-negative."),
            { MinGroundTruth: < 1 } or { MinRequests: < 1 } or { StageMinSeconds: < 0 } or { DeviceTimeoutSeconds: < 1 } =>
                throw Invalid("min_ground_truth and min_requests must be at least 1, stage_min_seconds at least 0, device_timeout_seconds at least 1."),
            _ => result,
        };
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static PublishResponse Response(PackageRecord p, bool alreadyPresent) =>
        new() { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, AlreadyPresent = alreadyPresent };
}
