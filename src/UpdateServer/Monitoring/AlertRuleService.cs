namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>Alert rules and the alerts they opened, as operators manage them; <see cref="AlertEvaluator"/> judges the rules.</summary>
internal sealed class AlertRuleService(IUpdateStore store, PackageFacts facts, TimeProvider time)
{
    /// <summary>Validates a rule (any id is replaced), fills its defaults (300 s window, 20 samples) and stores it.</summary>
    /// <exception cref="RejectedException">An unknown metric, a feature where none applies (or none where one must), or a slice the card lacks.</exception>
    public async Task<AlertRuleRecord> CreateAsync(AlertRuleRecord draft, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(draft.Model) || !AlertEvaluator.Metrics.Contains(draft.Metric))
        {
            throw RejectedException.Invalid($"an alert rule needs a model and a metric: {string.Join(", ", AlertEvaluator.Metrics)}.");
        }

        var optional = AlertEvaluator.OptionalFeatureMetrics.Contains(draft.Metric);
        if ((!optional && AlertEvaluator.FeatureMetrics.Contains(draft.Metric) != (draft.Feature.Length > 0)) || !double.IsFinite(draft.Threshold) || draft.WindowSeconds < 0 || draft.MinSamples < 0)
        {
            throw RejectedException.Invalid("feature is required for psi, ks and jensen_shannon (a feature or output) and slice_metric (a slice name), optional for min_class_recall, min_class_precision, top_k_accuracy, cer and wer (a slice name) and the fairness metrics (a fairness group), and given for no other; threshold must be finite; window_seconds and min_samples non-negative.");
        }

        // Fairness rules need a card that states fairness (and, when named, one of its groups); class rules a named slice.
        if (optional && draft.Version.Length > 0 && await facts.ManifestAsync(draft.Model, draft.Version, cancellationToken).ConfigureAwait(false) is { } card)
        {
            var fairness = MonitoredFigures.All[draft.Metric].Source == FigureSource.Fairness;
            if (fairness && (card.ModelCard.Fairness is not { } spec || (draft.Feature.Length > 0 && !spec.Groups.Contains(draft.Feature))))
            {
                throw RejectedException.Invalid($"{draft.Model} {draft.Version}'s model card {(card.ModelCard.Fairness is { } f ? $"has no fairness group '{draft.Feature}'; it has: {string.Join(", ", f.Groups)}" : "states no fairness groups")}.");
            }

            if (!fairness && draft.Feature.Length > 0 && !card.ModelCard.Slices.Any(s => s.Name == draft.Feature && s.Where is { Count: > 0 }))
            {
                throw RejectedException.Invalid($"{draft.Model} {draft.Version}'s model card has no slice '{draft.Feature}' with a predicate.");
            }
        }

        // A rule for one published version can be checked now; one for "live versions" is judged per version later.
        if (draft.Metric == MonitoredFigures.SliceMetric.Name && draft.Version.Length > 0
            && await facts.ManifestAsync(draft.Model, draft.Version, cancellationToken).ConfigureAwait(false) is { } manifest
            && !manifest.ModelCard.Slices.Any(s => s.Name == draft.Feature && s.Where is { Count: > 0 }))
        {
            throw RejectedException.Invalid($"{draft.Model} {draft.Version}'s model card has no slice '{draft.Feature}' with a predicate; it has: {string.Join(", ", manifest.ModelCard.Slices.Where(s => s.Where is { Count: > 0 }).Select(s => s.Name))}.");
        }

        var rule = draft with
        {
            Id = "ar-" + Guid.CreateVersion7().ToString("N"),
            WindowSeconds = draft.WindowSeconds == 0 ? 300 : draft.WindowSeconds,
            MinSamples = draft.MinSamples == 0 ? 20 : draft.MinSamples,
        };
        await store.AddAlertRuleAsync(rule, cancellationToken).ConfigureAwait(false);
        return rule;
    }

    public Task<IReadOnlyList<AlertRuleRecord>> ListAsync(CancellationToken cancellationToken) => store.ListAlertRulesAsync(cancellationToken);

    /// <summary>Deletes a rule and resolves its open alerts.</summary>
    /// <exception cref="RejectedException">No such rule.</exception>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAlertRuleAsync(id, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false))
        {
            throw RejectedException.NotFound($"No alert rule '{id}'.");
        }
    }

    /// <summary>Alerts newest first; only firing ones unless <paramref name="includeResolved"/>.</summary>
    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(bool includeResolved, CancellationToken cancellationToken) => store.ListAlertsAsync(includeResolved, cancellationToken);
}
