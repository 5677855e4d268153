using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Operators;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// The operator API. Each call maps its message onto a domain service (packages, rollouts, monitoring, alert rules) and
/// maps the answer back; <see cref="OperatorInterceptor"/> has checked the caller's role (and audits mutating calls)
/// before a method runs, and <see cref="RejectionInterceptor"/> maps refusals.
/// </summary>
internal sealed class RegistryServiceImpl(
    PackageRegistry packages,
    RolloutService rollouts,
    FleetDirectory fleet,
    MonitoringQueries monitoring,
    AlertRuleService alertRules,
    PredictionExport export,
    UpdateServerOptions options)
    : RegistryService.RegistryServiceBase
{
    public override async Task<PublishResponse> PublishPackage(IAsyncStreamReader<PublishChunk> requestStream, ServerCallContext context)
    {
        using var buffer = new MemoryStream();
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (buffer.Length + chunk.Data.Length > options.MaxPackageBytes)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The package exceeds the {options.MaxPackageBytes}-byte upload limit."));
            }

            chunk.Data.WriteTo(buffer);
        }

        var (p, alreadyPresent) = await packages.PublishAsync(buffer.ToArray(), context.CancellationToken).ConfigureAwait(false);
        return new PublishResponse { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, AlreadyPresent = alreadyPresent };
    }

    public override async Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context)
    {
        var response = new ListVersionsResponse();
        foreach (var p in await packages.ListAsync(request.Model, context.CancellationToken).ConfigureAwait(false))
        {
            response.Versions.Add(new ModelVersionInfo { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, PublishedUnixMs = p.PublishedUnixMs, ManifestJson = p.ManifestJson });
        }

        return response;
    }

    public override async Task<Rollout> CreateRollout(CreateRolloutRequest request, ServerCallContext context)
    {
        var record = await rollouts.CreateAsync(request.Strategy, RolloutMessages.ToSpec(request), OperatorIdentity.Of(context).Name, context.CancellationToken).ConfigureAwait(false);
        return await DescribeAsync(record, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<Rollout> GetRollout(GetRolloutRequest request, ServerCallContext context)
    {
        var rollout = await DescribeAsync(await rollouts.FindAsync(request.Id, context.CancellationToken).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);
        foreach (var e in await rollouts.HistoryAsync(request.Id, context.CancellationToken).ConfigureAwait(false))
        {
            rollout.History.Add(RolloutMessages.ToMessage(e));
        }

        return rollout;
    }

    public override async Task<ListRolloutsResponse> ListRollouts(ListRolloutsRequest request, ServerCallContext context)
    {
        var response = new ListRolloutsResponse();
        foreach (var r in await rollouts.ListAsync(request.Model.Length == 0 ? null : request.Model, context.CancellationToken).ConfigureAwait(false))
        {
            response.Rollouts.Add(await DescribeAsync(r, context.CancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    public override Task<Rollout> PauseRollout(RolloutActionRequest request, ServerCallContext context) => ActAsync(request, context, RolloutAction.Pause);

    public override Task<Rollout> ResumeRollout(RolloutActionRequest request, ServerCallContext context) => ActAsync(request, context, RolloutAction.Resume);

    public override Task<Rollout> RollbackRollout(RolloutActionRequest request, ServerCallContext context) => ActAsync(request, context, RolloutAction.Rollback);

    public override Task<Rollout> PromoteRollout(RolloutActionRequest request, ServerCallContext context) => ActAsync(request, context, RolloutAction.Promote);

    public override async Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context)
    {
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
        var windows = await monitoring.VersionStatsAsync(request.Model, request.Version, request.FromUnixMs, request.ToUnixMs, request.WindowSeconds, context.CancellationToken).ConfigureAwait(false);
        var response = new VersionStatsResponse();
        response.Windows.AddRange(windows.Select(MonitoringMessages.ToMessage));
        return response;
    }

    public override async Task<SlicesResponse> GetSlices(VersionStatsRequest request, ServerCallContext context)
    {
        var (windows, higherIsBetter, metric, slices, all) = await monitoring.SlicesAsync(
            request.Model, request.Version, request.FromUnixMs, request.ToUnixMs, request.WindowSeconds, context.CancellationToken).ConfigureAwait(false);
        return MonitoringMessages.ToMessage(windows, higherIsBetter, metric, slices, all);
    }

    public override async Task<FairnessResponse> GetFairness(VersionStatsRequest request, ServerCallContext context)
    {
        var (card, fairness, classes) = await monitoring.FairnessAsync(request.Model, request.Version, request.FromUnixMs, request.ToUnixMs, context.CancellationToken).ConfigureAwait(false);
        return MonitoringMessages.ToMessage(card, fairness, classes);
    }

    public override async Task ExportPredictions(ExportPredictionsRequest request, IServerStreamWriter<ExportPredictionsPage> responseStream, ServerCallContext context)
    {
        var plan = await export.PlanAsync(
            request.Model, request.Version, request.SinceUnixMs, request.UntilUnixMs, request.Slices, request.DriftedOnly, request.IncludeUnlabelled, request.PageSize, context.CancellationToken).ConfigureAwait(false);
        await foreach (var rows in export.PagesAsync(plan, context.CancellationToken).ConfigureAwait(false))
        {
            var page = new ExportPredictionsPage();
            page.Features.AddRange(plan.Columns);
            page.DriftedFeatures.AddRange(plan.Drifted.Select(d => d.Name));
            foreach (var row in rows)
            {
                var message = new ExportedPrediction
                {
                    PredictionId = row.PredictionId.ToString("N"), TimestampUnixMs = row.TimestampMs, DeviceId = row.DeviceId, Model = request.Model, Version = request.Version,
                    HasInputs = row.Inputs is not null, Predicted = row.Predicted,
                };
                message.Slices.AddRange(row.Slices);
                if (row.Inputs is { } inputs)
                {
                    message.Inputs.AddRange(inputs);
                }

                if (row.Label is { } label)
                {
                    message.Label = label;
                }

                page.Rows.Add(message);
            }

            await responseStream.WriteAsync(page, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task<DriftResponse> GetDrift(DriftRequest request, ServerCallContext context)
    {
        var (scores, until) = await monitoring.DriftAsync(request.Model, request.Version, request.SinceUnixMs, request.UntilUnixMs, context.CancellationToken).ConfigureAwait(false);
        var response = new DriftResponse { Rule = DriftAssessment.Rule, SinceUnixMs = request.SinceUnixMs, UntilUnixMs = until };
        response.Features.AddRange(scores.Select(MonitoringMessages.ToMessage));
        return response;
    }

    public override async Task<AlertRule> CreateAlertRule(AlertRule request, ServerCallContext context)
    {
        var draft = new AlertRuleRecord(
            string.Empty, request.Model, request.Version, request.Metric, request.Feature, request.Below, request.Threshold, request.WindowSeconds, request.MinSamples);
        return MonitoringMessages.ToMessage(await alertRules.CreateAsync(draft, context.CancellationToken).ConfigureAwait(false));
    }

    public override async Task<ListAlertRulesResponse> ListAlertRules(ListAlertRulesRequest request, ServerCallContext context)
    {
        var response = new ListAlertRulesResponse();
        response.Rules.AddRange((await alertRules.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(MonitoringMessages.ToMessage));
        return response;
    }

    public override async Task<DeleteAlertRuleResponse> DeleteAlertRule(DeleteAlertRuleRequest request, ServerCallContext context)
    {
        await alertRules.DeleteAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        return new DeleteAlertRuleResponse();
    }

    public override async Task<ListAlertsResponse> ListAlerts(ListAlertsRequest request, ServerCallContext context)
    {
        var response = new ListAlertsResponse();
        response.Alerts.AddRange((await alertRules.ListAlertsAsync(request.IncludeResolved, context.CancellationToken).ConfigureAwait(false)).Select(MonitoringMessages.ToMessage));
        return response;
    }

    private async Task<Rollout> ActAsync(RolloutActionRequest request, ServerCallContext context, RolloutAction action)
    {
        var updated = await rollouts.ActAsync(request.Id, action, request.Reason, OperatorIdentity.Of(context).Name, context.CancellationToken).ConfigureAwait(false);
        return await DescribeAsync(updated, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<Rollout> DescribeAsync(RolloutRecord r, CancellationToken cancellationToken) =>
        RolloutMessages.ToMessage(r, await rollouts.StatusAsync(r, cancellationToken).ConfigureAwait(false));
}
