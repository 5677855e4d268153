using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>
/// Every figure the server monitors, each defined once here. Rollout gates (<see cref="RolloutGateCheck"/>), alert rules
/// (<see cref="AlertEvaluator"/>, by <see cref="Figure.Name"/>) and the monitoring RPCs (version stats, slices, rollout
/// health) all read figures through these entries, so a figure means the same thing everywhere.
/// <para>
/// To add a figure: add one entry below (name, source, value, samples) and list it in <see cref="All"/>; alert rules
/// accept it at once. If its evidence is not in a <see cref="FigureInput"/> yet, add it there and fetch it in
/// <see cref="FigureReader"/>. To show it in an RPC, set the response field from the entry (Api/MonitoringMessages).
/// </para>
/// </summary>
internal static class MonitoredFigures
{
    /// <summary>Predictions devices reported serving (health reports).</summary>
    public static readonly Figure Requests = new("requests", FigureSource.Health, i => i.Health!.Requests, i => i.Health!.Requests);

    /// <summary>Predictions that failed (health reports).</summary>
    public static readonly Figure Errors = new("errors", FigureSource.Health, i => i.Health!.Errors, i => i.Health!.Requests);

    /// <summary>Failed share of reported predictions; 0 without any.</summary>
    public static readonly Figure ErrorRate = new(
        "error_rate", FigureSource.Health, i => i.Health!.Requests == 0 ? 0 : (double)i.Health.Errors / i.Health.Requests, i => i.Health!.Requests);

    /// <summary>Latency quantiles of served predictions, from the reported histogram, in ms.</summary>
    public static readonly Figure LatencyP50Ms = Latency("latency_p50_ms", 0.50);

    public static readonly Figure LatencyP95Ms = Latency("latency_p95_ms", 0.95);

    public static readonly Figure LatencyP99Ms = Latency("latency_p99_ms", 0.99);

    /// <summary>Accuracy, or mean absolute error for regressors, over reported labels; NaN without labels.</summary>
    public static readonly Figure OnlineMetric = new(
        "online_metric", FigureSource.Health, i => Online(i.Health!.GroundTruth, i.Health.Correct, i.Health.AbsErrorSum, i.HigherIsBetter), i => i.Health!.GroundTruth);

    /// <summary>The online metric over labelled telemetry (version stats windows).</summary>
    public static readonly Figure TelemetryOnlineMetric = new(
        "telemetry_online_metric", FigureSource.Telemetry, i => Online(i.Telemetry!.GroundTruth, i.Telemetry.Correct, i.Telemetry.AbsErrorSum, i.HigherIsBetter), i => i.Telemetry!.GroundTruth);

    /// <summary>Share of input values missing, over telemetry.</summary>
    public static readonly Figure MissingFraction = new("missing_fraction", FigureSource.Telemetry, i => i.Telemetry!.MissingFraction, i => i.Telemetry!.Requests);

    /// <summary>Population stability index of one feature or output against the reference.</summary>
    public static readonly Figure Psi = new("psi", FigureSource.Drift, i => i.Drift!.Psi, i => i.Drift!.Observed);

    public static readonly Figure Ks = new("ks", FigureSource.Drift, i => i.Drift!.Ks, i => i.Drift!.Observed);

    public static readonly Figure JensenShannon = new("jensen_shannon", FigureSource.Drift, i => i.Drift!.JensenShannon, i => i.Drift!.Observed);

    /// <summary>The online metric over labelled predictions devices tagged with one model-card slice.</summary>
    public static readonly Figure SliceMetric = new(
        "slice_metric", FigureSource.Slice, i => Online(i.Slice!.GroundTruth, i.Slice.Correct, i.Slice.AbsErrorSum, i.HigherIsBetter), i => i.Slice!.GroundTruth);

    /// <summary>
    /// The lowest per-class recall over labelled telemetry, as the device gate's <c>min_class_recall</c> (classes that occur
    /// as labels); of one model-card slice when the rule names it.
    /// </summary>
    public static readonly Figure MinClassRecall = new("min_class_recall", FigureSource.Classes, i => i.Classes!.MinRecall().Value, i => i.Classes!.Labelled)
    {
        Detail = i => i.Classes!.MinRecall().Class is var c and >= 0 ? $"class {c}" : null,
    };

    /// <summary>The lowest per-class precision over labelled telemetry (classes labelled or predicted); of one slice when named.</summary>
    public static readonly Figure MinClassPrecision = new("min_class_precision", FigureSource.Classes, i => i.Classes!.MinPrecision().Value, i => i.Classes!.Labelled)
    {
        Detail = i => i.Classes!.MinPrecision().Class is var c and >= 0 ? $"class {c}" : null,
    };

    /// <summary>
    /// Fairness ratios (group rate / reference rate) from labelled telemetry per model-card fairness group: of the group a
    /// rule names, or of the group farthest from parity. NaN until a group and the reference reach the card's minimum size.
    /// </summary>
    public static readonly Figure PositiveRateRatio = Fairness(FairnessMetric.PositiveRate);

    public static readonly Figure FprRatio = Fairness(FairnessMetric.FalsePositiveRate);

    public static readonly Figure FnrRatio = Fairness(FairnessMetric.FalseNegativeRate);

    /// <summary>
    /// The largest disparity over the card's fairness metrics and groups (or the group a rule names), either way from
    /// parity: max(ratio, 1/ratio), so one rule "above 1.25" covers the card's range [0.8, 1.25] on every group.
    /// </summary>
    public static readonly Figure FairnessDisparity = new(
        "fairness_disparity", FigureSource.Fairness, i => i.Fairness!.Worst() is { } w ? w.Disparity : double.NaN, i => i.Fairness!.Worst() is { } w ? Math.Min(w.GroupSamples, w.ReferenceSamples) : 0)
    {
        Detail = i => i.Fairness!.Worst()?.Describe(),
    };

    /// <summary>
    /// Top-k accuracy over labelled predictions whose devices kept their top classes (k: the largest top-k gate metric
    /// of the version's manifest), as the device gate's <c>top{k}_accuracy</c>; of one model-card slice when the rule names it.
    /// </summary>
    public static readonly Figure TopKAccuracy = new("top_k_accuracy", FigureSource.Evidence, i => i.Evidence!.Counts.TopKAccuracy(i.Evidence.K), i => i.Evidence!.Counts.Ranked)
    {
        Detail = i => $"k = {i.Evidence!.K}",
    };

    /// <summary>Character error rate of decoded text against true text: total edits over total true characters (the gate's <c>cer</c>).</summary>
    public static readonly Figure Cer = new("cer", FigureSource.Evidence, i => i.Evidence!.Counts.CharacterErrorRate, i => i.Evidence!.Counts.Sequences);

    /// <summary>Word error rate: total word edits over total true words (the gate's <c>wer</c>).</summary>
    public static readonly Figure Wer = new("wer", FigureSource.Evidence, i => i.Evidence!.Counts.WordErrorRate, i => i.Evidence!.Counts.Sequences);

    /// <summary>
    /// Mean average precision of detections against truth boxes at the manifest's IoU threshold (the gate's <c>map@iou</c>),
    /// over the newest <see cref="DetectionEvidence.MaxImages"/> labelled predictions of the window at most.
    /// </summary>
    public static readonly Figure Map = new("map", FigureSource.Detections, i => i.Detections!.MeanAveragePrecision, i => i.Detections!.Images)
    {
        Detail = i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"IoU {i.Detections!.IouThreshold:0.##}{(i.Detections.Images >= DetectionEvidence.MaxImages ? $", the newest {DetectionEvidence.MaxImages} labelled images" : string.Empty)}"),
    };

    /// <summary>The figures alert rules may name, in the order the error message lists them.</summary>
    public static readonly IReadOnlyList<Figure> Alertable =
        [ErrorRate, LatencyP50Ms, LatencyP95Ms, LatencyP99Ms, OnlineMetric, MissingFraction, Psi, Ks, JensenShannon, SliceMetric,
         MinClassRecall, MinClassPrecision, PositiveRateRatio, FprRatio, FnrRatio, FairnessDisparity, TopKAccuracy, Cer, Wer, Map];

    /// <summary>Every figure, by name.</summary>
    public static readonly IReadOnlyDictionary<string, Figure> All =
        new[] { Requests, Errors, TelemetryOnlineMetric }.Concat(Alertable).ToDictionary(f => f.Name, StringComparer.Ordinal);

    /// <summary>The online metric from labelled outcomes: accuracy, or mean absolute error when lower is better; NaN without labels.</summary>
    public static double Online(long groundTruth, long correct, double absErrorSum, bool higherIsBetter) =>
        groundTruth == 0 ? double.NaN : higherIsBetter ? (double)correct / groundTruth : absErrorSum / groundTruth;

    private static Figure Fairness(FairnessMetric metric) =>
        new(FairnessSpec.RatioName(metric), FigureSource.Fairness, i => i.Fairness!.Worst(metric)?.Ratio ?? double.NaN, i => i.Fairness!.Worst(metric) is { } w ? Math.Min(w.GroupSamples, w.ReferenceSamples) : 0)
        {
            Detail = i => i.Fairness!.Worst(metric)?.Describe(),
        };

    private static Figure Latency(string name, double quantile) =>
        new(name, FigureSource.Health, i => LatencyHistogram.QuantileMillis(i.Health!.LatencyBuckets, quantile), i => i.Health!.Requests - i.Health.Errors);
}
