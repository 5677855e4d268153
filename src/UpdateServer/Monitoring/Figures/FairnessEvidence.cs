using System.Globalization;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>
/// The model card's fairness groups measured online: each group's labelled predictions (devices tag them with the
/// group's slice) against the positive class, judged with the same <see cref="BinaryOutcomes.Judge"/> the device gate
/// uses. <see cref="Group"/>: the one group a figure is restricted to, or empty for every group.
/// </summary>
internal sealed record FairnessEvidence(FairnessSpec Spec, IReadOnlyDictionary<string, BinaryOutcomes> Outcomes, string Group)
{
    /// <summary>One judged comparison of a group with the reference.</summary>
    public readonly record struct Comparison(string Group, FairnessMetric Metric, double GroupRate, double ReferenceRate, double Ratio, long GroupSamples, long ReferenceSamples, bool Judged, bool Passed)
    {
        /// <summary>How far from parity, either way: max(ratio, 1/ratio); the largest finite value when the ratio is undefined (the reference's rate 0, the group's not).</summary>
        public double Disparity => double.IsNaN(Ratio) ? double.MaxValue : Ratio == 0 ? double.MaxValue : Math.Max(Ratio, 1 / Ratio);

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{FairnessSpec.RatioName(Metric)}@{Group} {(double.IsNaN(Ratio) ? "undefined" : Ratio.ToString("G4", CultureInfo.InvariantCulture))} (group {GroupRate:G4} on {GroupSamples}, reference {ReferenceRate:G4} on {ReferenceSamples})");
    }

    /// <summary>Every group (or the one in <see cref="Group"/>) on every card metric (or only <paramref name="metric"/>).</summary>
    public IEnumerable<Comparison> Compare(FairnessMetric? metric = null)
    {
        var reference = Outcomes.GetValueOrDefault(Spec.Reference);
        foreach (var group in Spec.Groups.Where(g => Group.Length == 0 || g == Group))
        {
            var own = Outcomes.GetValueOrDefault(group);
            foreach (var m in Spec.Metrics.Where(m => metric is null || m == metric))
            {
                var (ratio, judged, passed) = BinaryOutcomes.Judge(Spec, m, own, reference);
                yield return new Comparison(group, m, own.Rate(m), reference.Rate(m), ratio, own.Denominator(m), reference.Denominator(m), judged, passed);
            }
        }
    }

    /// <summary>The judged comparison farthest from parity (of <paramref name="metric"/> or any); null when none has enough samples.</summary>
    public Comparison? Worst(FairnessMetric? metric = null) =>
        Compare(metric).Where(c => c.Judged).OrderByDescending(c => c.Disparity).Select(c => (Comparison?)c).FirstOrDefault();
}
