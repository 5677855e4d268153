using System.Globalization;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>Maps monitoring results (stats, slices, drift, alert rules and alerts) to their messages; figures come from <see cref="MonitoredFigures"/>.</summary>
internal static class MonitoringMessages
{
    public static VersionWindow ToMessage(StatsWindow w)
    {
        var s = w.Telemetry;
        var window = new VersionWindow
        {
            FromUnixMs = w.FromUnixMs,
            ToUnixMs = w.UntilUnixMs,
            Requests = s.Requests,
            LatencyP50Us = s.LatencyP50Micros,
            LatencyP95Us = s.LatencyP95Micros,
            LatencyP99Us = s.LatencyP99Micros,
            MissingFraction = MonitoredFigures.MissingFraction.Of(s, w.Health.HigherIsBetter),
            GroundTruth = s.GroundTruth,
            OnlineMetric = MonitoredFigures.TelemetryOnlineMetric.Of(s, w.Health.HigherIsBetter),
            MetricName = w.Health.MetricName,
            ReportedRequests = (long)w.Health.Read(MonitoredFigures.Requests),
            ReportedErrors = (long)w.Health.Read(MonitoredFigures.Errors),
            ErrorRate = w.Health.ErrorRate,
            ReportedLatencyP50Ms = w.Health.Read(MonitoredFigures.LatencyP50Ms),
            ReportedLatencyP95Ms = w.Health.Read(MonitoredFigures.LatencyP95Ms),
            ReportedLatencyP99Ms = w.Health.Read(MonitoredFigures.LatencyP99Ms),
            ReportedGroundTruth = w.Health.Totals.GroundTruth,
            ReportedOnlineMetric = w.Health.OnlineMetric,
        };
        var evidence = w.EvidenceInput;
        window.TopK = w.TopK;
        window.TopKAccuracy = MonitoredFigures.TopKAccuracy.Value(evidence);
        window.TopKSamples = MonitoredFigures.TopKAccuracy.Samples(evidence);
        window.Cer = MonitoredFigures.Cer.Value(evidence);
        window.Wer = MonitoredFigures.Wer.Value(evidence);
        window.Sequences = MonitoredFigures.Cer.Samples(evidence);
        window.Map = w.Detections is null ? double.NaN : MonitoredFigures.Map.Value(evidence);
        window.MapImages = w.Detections is null ? 0 : MonitoredFigures.Map.Samples(evidence);
        window.MapIouThreshold = w.Detections?.IouThreshold ?? double.NaN;
        foreach (var (predicted, count) in s.PredictionCounts.OrderBy(p => p.Key))
        {
            window.Predictions[predicted.ToString(CultureInfo.InvariantCulture)] = count;
        }

        return window;
    }

    public static SlicesResponse ToMessage(IReadOnlyList<(long From, long Until)> windows, bool higherIsBetter, string metric, IReadOnlyList<SliceStats> slices, SliceOutcomes all)
    {
        var response = new SlicesResponse { MetricName = metric, All = ToWindow(windows[0].From, windows[^1].Until, all) };
        foreach (var stats in slices)
        {
            var slice = stats.Card;
            var report = new SliceReport
            {
                Name = slice.Name,
                Definition = slice.Definition ?? string.Empty,
                HasPredicate = slice.Where is { Count: > 0 },
                CardMetric = slice.Metrics.TryGetValue(metric, out var offline) ? offline : double.NaN,
                CardCount = slice.Count,
            };
            for (var w = 0; w < windows.Count; w++)
            {
                report.Windows.Add(ToWindow(windows[w].From, windows[w].Until, stats.Windows[w]));
            }

            report.Total = ToWindow(windows[0].From, windows[^1].Until, stats.Total);
            response.Slices.Add(report);
        }

        return response;

        SliceWindow ToWindow(long from, long until, SliceOutcomes o) => new()
        {
            FromUnixMs = from,
            ToUnixMs = until,
            Requests = o.Requests,
            GroundTruth = o.GroundTruth,
            OnlineMetric = MonitoredFigures.SliceMetric.Of(o, higherIsBetter),
        };
    }

    public static FairnessResponse ToMessage(ModelCard card, FairnessEvidence? fairness, ConfusionCounts classes)
    {
        var response = new FairnessResponse
        {
            Labelled = classes.Labelled,
            MinClassRecall = MonitoredFigures.MinClassRecall.Of(classes),
            MinClassPrecision = MonitoredFigures.MinClassPrecision.Of(classes),
        };
        foreach (var c in classes.Classes)
        {
            response.Classes.Add(new ClassFigure { ClassIndex = c, Support = classes.Counts.Where(kv => kv.Key.Label == c).Sum(kv => kv.Value), Recall = classes.Recall(c), Precision = classes.Precision(c) });
        }

        if (fairness is not null)
        {
            var spec = fairness.Spec;
            (response.Reference, response.Min, response.Max, response.MinGroupSize, response.PositiveClass) = (spec.Reference, spec.Min, spec.Max, spec.MinGroupSize, spec.PositiveClass);
            response.Ratios.AddRange(fairness.Compare().Select(c => new FairnessRatio
            {
                Group = c.Group,
                Metric = FairnessSpec.RatioName(c.Metric),
                GroupRate = c.GroupRate,
                ReferenceRate = c.ReferenceRate,
                Ratio = c.Ratio,
                GroupSamples = c.GroupSamples,
                ReferenceSamples = c.ReferenceSamples,
                Judged = c.Judged,
                Passed = c.Passed,
                CardRatio = card.Metrics.TryGetValue($"{FairnessSpec.RatioName(c.Metric)}@{c.Group}", out var offline) ? offline : double.NaN,
            }));
        }

        return response;
    }

    public static FeatureDrift ToMessage(FeatureDriftScore drift)
    {
        var score = drift.Score;
        var feature = new FeatureDrift
        {
            Name = score.Name,
            Kind = score.Kind.ToString(),
            IsOutput = drift.IsOutput,
            Observed = score.Observed,
            MissingFraction = score.MissingFraction,
            ReferenceMissingFraction = score.ReferenceMissingFraction,
            Psi = MonitoredFigures.Psi.Of(score),
            JensenShannon = MonitoredFigures.JensenShannon.Of(score),
            Ks = MonitoredFigures.Ks.Of(score),
            Samples = drift.Samples,
            ReferenceSamples = drift.ReferenceSamples,
            PValue = drift.PValue,
            Test = drift.Test,
            Shifted = drift.Shifted,
        };
        feature.ObservedFractions.AddRange(score.ObservedFractions);
        feature.ReferenceFractions.AddRange(drift.ReferenceFractions);
        return feature;
    }

    public static AlertRule ToMessage(AlertRuleRecord r) => new()
    {
        Id = r.Id, Model = r.Model, Version = r.Version, Metric = r.Metric, Feature = r.Feature, Below = r.Below, Threshold = r.Threshold,
        WindowSeconds = r.WindowSeconds, MinSamples = r.MinSamples,
    };

    public static Alert ToMessage(AlertRecord a) => new()
    {
        Id = a.Id, RuleId = a.RuleId, Model = a.Model, Version = a.Version, Metric = a.Metric, Value = a.Value, Threshold = a.Threshold,
        Firing = a.ResolvedUnixMs is null, OpenedUnixMs = a.OpenedUnixMs, ResolvedUnixMs = a.ResolvedUnixMs ?? 0, Message = a.Message,
    };
}
