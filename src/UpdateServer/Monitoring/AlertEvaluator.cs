using System.Globalization;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>
/// Evaluates alert rules on the controller's tick: each rule's metric over its trailing window, per version it covers.
/// A breach with enough samples opens one alert per (rule, version); the value back within the threshold resolves it.
/// Each change enqueues its webhook messages (<see cref="WebhookEvents"/>) in the same store transaction (the outbox),
/// which <see cref="WebhookDispatcher"/> then sends.
/// </summary>
internal sealed class AlertEvaluator(IUpdateStore store, FigureReader figures, WebhookSignal webhookSignal, TimeProvider time, ILogger<AlertEvaluator> logger)
{
    /// <summary>The metrics a rule may name: the alertable <see cref="MonitoredFigures"/>.</summary>
    public static readonly string[] Metrics = [.. MonitoredFigures.Alertable.Select(f => f.Name)];

    /// <summary>Metrics that need <c>feature</c>: a feature or output for the drift scores, a model-card slice for slice_metric.</summary>
    public static readonly string[] FeatureMetrics = [.. MonitoredFigures.Alertable.Where(f => f.NeedsFeature).Select(f => f.Name)];

    public async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var open = await store.ListAlertsAsync(includeResolved: false, cancellationToken).ConfigureAwait(false);
        var live = await store.ListLiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
        var webhooks = await store.ListWebhooksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var rule in await store.ListAlertRulesAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await EvaluateRuleAsync(rule, open, live, webhooks, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                ServerLog.AlertRuleEvaluationFailed(logger, ex, rule.Id, rule.Model, ex.Message); // one rule's fault never stops the others
            }
        }
    }

    private async Task EvaluateRuleAsync(
        AlertRuleRecord rule, IReadOnlyList<AlertRecord> open, IReadOnlyList<RolloutRecord> live, IReadOnlyList<WebhookRecord> webhooks, long now, CancellationToken cancellationToken)
    {
        var versions = rule.Version.Length > 0
            ? [rule.Version]
            : live.Where(r => r.Model == rule.Model).SelectMany(r => r.Arms.Select(a => a.Version).Append(r.Version)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var version in versions)
        {
            var (value, samples, significant) = await figures.MeasureAsync(MonitoredFigures.All[rule.Metric], rule.Model, version, rule.Feature, now - (rule.WindowSeconds * 1000L), now + 1, cancellationToken).ConfigureAwait(false);
            var existing = open.FirstOrDefault(a => a.RuleId == rule.Id && a.Version == version);
            if (samples < rule.MinSamples || double.IsNaN(value))
            {
                continue; // not enough evidence either way: keep the current state
            }

            var breached = rule.Below ? value < rule.Threshold : value > rule.Threshold;
            if (breached && !significant)
            {
                continue; // a drift score past its threshold that the two-sample test cannot tell from chance (DriftAssessment): no verdict yet
            }

            if (breached && existing is null)
            {
                var message = string.Create(CultureInfo.InvariantCulture,
                    $"{rule.Metric}{(rule.Feature.Length > 0 ? $"({rule.Feature})" : string.Empty)} of {rule.Model} {version} is {value:G4} over the last {rule.WindowSeconds} s ({samples} samples), {(rule.Below ? "below" : "above")} {rule.Threshold:G4}");
                var alert = new AlertRecord("al-" + Guid.CreateVersion7().ToString("N"), rule.Id, rule.Model, version, rule.Metric, value, rule.Threshold, now, null, message);
                var notifications = WebhookEvents.For(webhooks, WebhookEvents.AlertFiring, alert, rule, value, now, null);
                await store.AddAlertAsync(alert, notifications, cancellationToken).ConfigureAwait(false);
                ServerLog.AlertOpened(logger, rule.Id, rule.Model, version, message);
                Notify(notifications);
            }
            else if (!breached && existing is not null)
            {
                var notifications = WebhookEvents.For(webhooks, WebhookEvents.AlertResolved, existing, rule, value, now, now);
                if (await store.ResolveAlertAsync(existing.Id, now, notifications, cancellationToken).ConfigureAwait(false))
                {
                    ServerLog.AlertResolved(logger, existing.Id, rule.Model, version);
                    Notify(notifications);
                }
            }
        }
    }

    private void Notify(IReadOnlyList<WebhookDeliveryRecord> notifications)
    {
        if (notifications.Count > 0)
        {
            webhookSignal.Notify();
        }
    }
}
