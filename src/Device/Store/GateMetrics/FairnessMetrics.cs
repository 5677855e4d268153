using System.Globalization;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Store.GateMetrics;

/// <summary>
/// The model card's fairness ratios (<see cref="FairnessSpec"/>) on the confidence set: each case is put in the groups
/// whose slice predicate its inputs meet (the <see cref="SliceMatcher"/> devices tag predictions with), and each group's
/// rate is compared with the reference group's. One result per group and metric, named <c>fnr_ratio@group</c>.
/// </summary>
internal static class FairnessMetrics
{
    public static List<GateMetricResult> Evaluate(PackageManifest manifest, IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> outputs, IReadOnlyList<ConfidenceCase> cases)
    {
        var spec = manifest.ModelCard.Fairness;
        if (spec is null)
        {
            return [];
        }

        var slices = manifest.ModelCard.Slices.Select(s => s.Name).ToList();
        var matcher = new SliceMatcher(manifest);
        var output = spec.Output ?? manifest.Confidence.Output;
        var outcomes = new Dictionary<string, BinaryOutcomes>(StringComparer.Ordinal);
        for (var i = 0; i < cases.Count; i++)
        {
            if (!outputs[i].TryGetValue(output, out var tensor))
            {
                throw new EdgeException(EdgeErrorCode.InvalidOutput, $"The model card's fairness reads output '{output}', which the model did not return.") { TensorName = output };
            }

            var predicted = Metrics.Read(tensor, spec.PositiveClass).PredictedClass == spec.PositiveClass;
            var actual = (int)cases[i].Label == spec.PositiveClass;
            var mask = matcher.Match(cases[i].Inputs);
            foreach (var group in spec.Groups.Prepend(spec.Reference))
            {
                if ((mask & (1UL << slices.IndexOf(group))) != 0)
                {
                    outcomes[group] = outcomes.GetValueOrDefault(group).Add(predicted, actual);
                }
            }
        }

        var reference = outcomes.GetValueOrDefault(spec.Reference);
        var results = new List<GateMetricResult>();
        foreach (var group in spec.Groups)
        {
            var own = outcomes.GetValueOrDefault(group);
            foreach (var metric in spec.Metrics)
            {
                var (ratio, judged, passed) = BinaryOutcomes.Judge(spec, metric, own, reference);
                var name = FairnessSpec.RatioName(metric);
                var detail = string.Create(CultureInfo.InvariantCulture,
                    $"group '{group}' {Short(metric)} {own.Rate(metric):G4} on {own.Denominator(metric)} cases vs reference '{spec.Reference}' {reference.Rate(metric):G4} on {reference.Denominator(metric)}{(judged ? string.Empty : $"; fewer than {spec.MinGroupSize} cases: not judged")}");
                results.Add(new GateMetricResult($"{name}@{group}", ratio, spec.Min, spec.Max, passed, (int)own.Count, detail));
            }
        }

        return results;
    }

    private static string Short(FairnessMetric metric) => metric switch
    {
        FairnessMetric.FalsePositiveRate => "fpr",
        FairnessMetric.FalseNegativeRate => "fnr",
        _ => "positive rate",
    };
}
