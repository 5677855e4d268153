namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>Fetches the evidence a figure needs for one version over a window, and measures it.</summary>
internal sealed class FigureReader(IUpdateStore store, ITelemetryStore telemetry, PackageFacts facts)
{
    /// <summary>
    /// The figure for a version over [from, to), how many samples it rests on, and whether the evidence is significant;
    /// NaN and 0 when there is none (an unknown feature or slice, no drift reported). <paramref name="feature"/>: the drift
    /// feature or output, or the slice name. Drift figures are significant only when <see cref="DriftAssessment"/>'s
    /// sample minimum and two-sample test hold (the same rule as the drift view); other figures always are. Detail: the
    /// figure's <see cref="Figure.Detail"/> (the class or fairness group behind the value).
    /// </summary>
    public async Task<(double Value, long Samples, bool Significant, string? Detail)> MeasureAsync(Figure figure, string model, string version, string feature, long from, long to, CancellationToken cancellationToken)
    {
        var input = await InputAsync(figure.Source, model, version, feature, from, to, cancellationToken).ConfigureAwait(false);
        return input is null ? (double.NaN, 0, false, null)
            : (figure.Value(input), figure.Samples(input), input.DriftVerdict is not { } verdict || verdict.PValue < DriftAssessment.Alpha, figure.Detail?.Invoke(input));
    }

    /// <summary>The card's fairness groups over [from, to) of labelled telemetry; null when the version's card states no fairness.</summary>
    public async Task<FairnessEvidence?> FairnessAsync(string model, string version, string group, long from, long to, CancellationToken cancellationToken)
    {
        var card = (await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false))?.ModelCard;
        if (card?.Fairness is not { } spec || (group.Length > 0 && !spec.Groups.Contains(group)))
        {
            return null;
        }

        var summary = telemetry.Summarize(model, version, from, to);
        var names = card.Slices.Select(x => x.Name).ToList();
        var outcomes = spec.Groups.Prepend(spec.Reference).ToDictionary(
            g => g, g => summary.SliceConfusion.GetValueOrDefault(names.IndexOf(g))?.Binary(spec.PositiveClass) ?? default, StringComparer.Ordinal);
        return new FairnessEvidence(spec, outcomes, group);
    }

    /// <summary>mAP of the newest labelled predictions with detections in [from, to) (see <see cref="DetectionEvidence"/>).</summary>
    public async Task<DetectionEvidence> DetectionsAsync(string model, string version, long from, long to, CancellationToken cancellationToken)
    {
        var iou = EvidenceFigures.IouThreshold(await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false));
        var rows = await telemetry.ScoredEvidenceAsync(model, version, from, to, DetectionEvidence.MaxImages, cancellationToken).ConfigureAwait(false);
        return DetectionEvidence.Score(rows, iou);
    }

    private async Task<FigureInput?> InputAsync(FigureSource source, string model, string version, string feature, long from, long to, CancellationToken cancellationToken)
    {
        switch (source)
        {
            case FigureSource.Health:
                var (higherIsBetter, _) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
                return new FigureInput(higherIsBetter) { Health = await store.SumHealthAsync(model, version, false, from, to, cancellationToken).ConfigureAwait(false) };
            case FigureSource.Telemetry:
                return new FigureInput(true) { Telemetry = telemetry.Summarize(model, version, from, to) };
            case FigureSource.Slice:
                // Labelled predictions that devices tagged with the named model-card slice (its index in this version's card).
                var slices = (await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false))?.ModelCard.Slices;
                var index = slices?.Select(x => x.Name).ToList().IndexOf(feature) ?? -1;
                if (index < 0 || telemetry.Summarize(model, version, from, to).Slices.GetValueOrDefault(index) is not { } outcomes)
                {
                    return null;
                }

                var (better, _) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
                return new FigureInput(better) { Slice = outcomes };
            case FigureSource.Classes:
                // The version's labelled predictions, or those devices tagged with the named model-card slice.
                var whole = telemetry.Summarize(model, version, from, to);
                if (feature.Length == 0)
                {
                    return new FigureInput(true) { Classes = whole.Confusion };
                }

                var cardSlices = (await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false))?.ModelCard.Slices;
                var at = cardSlices?.Select(x => x.Name).ToList().IndexOf(feature) ?? -1;
                return at < 0 ? null : new FigureInput(true) { Classes = whole.SliceConfusion.GetValueOrDefault(at) ?? new ConfusionCounts() };
            case FigureSource.Evidence:
                // Top-k ranks and CER/WER edits of the version, or of the named model-card slice.
                var scoredManifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false);
                var scored = telemetry.Summarize(model, version, from, to);
                if (feature.Length == 0)
                {
                    return new FigureInput(true) { Evidence = new EvidenceFigures(scored.Evidence, EvidenceFigures.TopK(scoredManifest)) };
                }

                var scoredSlice = scoredManifest?.ModelCard.Slices.Select(x => x.Name).ToList().IndexOf(feature) ?? -1;
                return scoredSlice < 0 ? null : new FigureInput(true) { Evidence = new EvidenceFigures(scored.SliceEvidence.GetValueOrDefault(scoredSlice) ?? new EvidenceCounts(), EvidenceFigures.TopK(scoredManifest)) };
            case FigureSource.Detections:
                return new FigureInput(true) { Detections = await DetectionsAsync(model, version, from, to, cancellationToken).ConfigureAwait(false) };
            case FigureSource.Fairness:
                return await FairnessAsync(model, version, feature, from, to, cancellationToken).ConfigureAwait(false) is { } fairness ? new FigureInput(true) { Fairness = fairness } : null;
            default:
                var reference = (await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false))?.DriftReference;
                var distribution = reference?.Features.Concat(reference.Outputs).FirstOrDefault(f => f.Name == feature);
                var counts = await store.SumDriftAsync(model, version, from, to, cancellationToken).ConfigureAwait(false);
                if (distribution is null || !counts.TryGetValue(feature, out var c) || c.Counts.Length != distribution.Fractions.Count + (distribution.Kind == EdgeDeploy.Runtime.Packages.FeatureKind.Categorical ? 1 : 0))
                {
                    return null;
                }

                var verdict = DriftAssessment.Assess(distribution, reference!.SampleCount, c.Counts, c.Missing, reference.Outputs.Contains(distribution));
                return new FigureInput(true) { Drift = verdict.Score, DriftVerdict = verdict };
        }
    }
}
