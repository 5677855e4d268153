using System.Globalization;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Store.GateMetrics;

/// <summary>
/// The one entry point for gate metrics: a <see cref="MetricSpec"/> over per-row model outputs (one name→tensor map
/// per confidence case, in case order) and the cases' truth. Whatever turns a model's raw outputs into tensors (e.g.
/// non-tensor outputs) does so before calling it.
/// </summary>
internal static class GateMetricEvaluator
{
    /// <summary>The spec that stands for a manifest's single <see cref="ConfidenceSpec"/> metric.</summary>
    public static MetricSpec FromConfidence(ConfidenceSpec c) => new()
    {
        Kind = (GateMetricKind)(int)c.Metric,
        Output = c.Output,
        PositiveClass = c.PositiveClass,
        Min = c.Min,
        Max = c.Max,
    };

    /// <summary>Computes <paramref name="spec"/> and checks its range.</summary>
    /// <param name="spec">The metric.</param>
    /// <param name="manifest">The package's manifest (slices).</param>
    /// <param name="outputs">Model outputs per confidence case, parallel to <paramref name="cases"/>.</param>
    /// <param name="cases">The confidence cases.</param>
    /// <param name="readFile">Reads a verified package file (a CTC vocabulary).</param>
    public static GateMetricResult Evaluate(MetricSpec spec, PackageManifest manifest, IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> outputs, IReadOnlyList<ConfidenceCase> cases, Func<string, byte[]> readFile)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(cases);
        var rows = SelectRows(spec, manifest, cases);
        var rowOutputs = rows.Select(i => outputs[i]).ToList();
        var rowCases = rows.Select(i => cases[i]).ToList();
        string? detail = null;
        double value;
        if (rowCases.Count == 0)
        {
            value = double.NaN;
            detail = $"no confidence case falls in slice '{spec.Slice}'";
        }
        else
        {
            (value, detail) = Compute(spec, rowOutputs, rowCases, readFile);
        }

        var passed = value >= spec.Min && value <= spec.Max;
        return new GateMetricResult(spec.DisplayName(), value, spec.Min, spec.Max, passed, rowCases.Count, detail);
    }

    private static List<int> SelectRows(MetricSpec spec, PackageManifest manifest, IReadOnlyList<ConfidenceCase> cases)
    {
        if (spec.Slice is null)
        {
            return [.. Enumerable.Range(0, cases.Count)];
        }

        var bit = 1UL << manifest.ModelCard.Slices.ToList().FindIndex(s => s.Name == spec.Slice);
        var matcher = new SliceMatcher(manifest);
        return [.. Enumerable.Range(0, cases.Count).Where(i => (matcher.Match(cases[i].Inputs) & bit) != 0)];
    }

    private static (double Value, string? Detail) Compute(MetricSpec spec, List<IReadOnlyDictionary<string, EdgeTensor>> outputs, List<ConfidenceCase> cases, Func<string, byte[]> readFile)
    {
        var labels = cases.Select(c => c.Label).ToList();
        switch (spec.Kind)
        {
            case GateMetricKind.Accuracy or GateMetricKind.Auc or GateMetricKind.F1 or GateMetricKind.Mae or GateMetricKind.Rmse:
                var positive = spec.PositiveClass ?? 1;
                var readings = outputs.Select(o => Metrics.Read(Output(o, spec.Output), positive)).ToList();
                return (Metrics.Compute((ConfidenceMetric)(int)spec.Kind, readings, labels, positive), null);
            case GateMetricKind.TopKAccuracy:
                return (ClassificationMetrics.TopKAccuracy(outputs.Select(o => ClassificationMetrics.Scores(Output(o, spec.Output))).ToList(), labels, spec.K ?? 1), null);
            case GateMetricKind.ClassRecall or GateMetricKind.ClassPrecision:
                var predicted = outputs.Select(o => Metrics.Read(Output(o, spec.Output), 1).PredictedClass).ToArray();
                var actual = labels.Select(l => (int)l).ToArray();
                var perClass = spec.Kind == GateMetricKind.ClassRecall
                    ? ClassificationMetrics.PerClassRecall(predicted, actual, spec.Classes)
                    : ClassificationMetrics.PerClassPrecision(predicted, actual, spec.Classes);
                var text = string.Join(", ", perClass.Select(kv => string.Create(CultureInfo.InvariantCulture, $"class {kv.Key}: {kv.Value:G4}")));
                return (perClass.Count == 0 ? double.NaN : perClass.Values.Min(), text);
            case GateMetricKind.CharacterErrorRate or GateMetricKind.WordErrorRate:
                var ctc = spec.Ctc!;
                var vocabulary = SequenceMetrics.ReadVocabulary(readFile(ctc.Vocabulary));
                List<string> decoded;
                try
                {
                    decoded = [.. outputs.Select(o => SequenceMetrics.GreedyCtc(Output(o, spec.Output), vocabulary, ctc.Blank))];
                }
                catch (EdgeException ex) when (ex.Code == EdgeErrorCode.InvalidArgument)
                {
                    return (double.NaN, $"cannot decode: {ex.Message}"); // e.g. a vocabulary shorter than the output's classes: the metric fails, naming why
                }

                var truth = cases.Select(TruthText).ToList();
                var rate = spec.Kind == GateMetricKind.CharacterErrorRate ? SequenceMetrics.CharacterErrorRate(decoded, truth) : SequenceMetrics.WordErrorRate(decoded, truth);
                return (rate, $"first decoded \"{decoded[0]}\", truth \"{truth[0]}\"");
            case GateMetricKind.MeanAveragePrecision:
                var layout = spec.Detection!;
                var detections = outputs.Select(o => DetectionMetrics.ReadDetections(Output(o, layout.Boxes), Output(o, layout.Scores), Output(o, layout.Classes))).ToList();
                var truths = cases.Select(TruthBoxes).ToList();
                return (DetectionMetrics.MeanAveragePrecision(detections, truths, layout.IouThreshold), null);
            default:
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Unknown gate metric {spec.Kind}.");
        }
    }

    private static EdgeTensor Output(IReadOnlyDictionary<string, EdgeTensor> outputs, string name) =>
        outputs.TryGetValue(name, out var t) ? t : throw new EdgeException(EdgeErrorCode.InvalidOutput, $"The gate metric reads output '{name}', which the model did not return.") { TensorName = name };

    private static string TruthText(ConfidenceCase c) =>
        c.Truth is { } truth && truth.TryGetValue("text", out var t) && t.ElementType == EdgeElementType.String && t.ElementCount == 1
            ? t.AsSpan<string>()[0]
            : throw new EdgeException(EdgeErrorCode.TestSetMalformed, "A CER/WER metric needs every confidence case to carry its truth text (a one-element string tensor 'text').");

    private static List<DetectionMetrics.Box> TruthBoxes(ConfidenceCase c)
    {
        if (c.Truth is not { } truth || !truth.TryGetValue("boxes", out var boxes) || !truth.TryGetValue("classes", out var classes))
        {
            throw new EdgeException(EdgeErrorCode.TestSetMalformed, "An mAP metric needs every confidence case to carry truth 'boxes' [M, 4] and 'classes' [M].");
        }

        return DetectionMetrics.ReadDetections(boxes, null, classes);
    }
}
