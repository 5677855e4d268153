using System.Globalization;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.Cli.Commands;

/// <summary>Text for <c>edge monitor fairness</c>: the card's fairness ratios online, then per-class recall and precision.</summary>
internal static class FairnessText
{
    public static string Describe(string title, FairnessResponse r)
    {
        var lines = new List<string>();
        if (r.Reference.Length == 0)
        {
            lines.Add($"{title}: the model card states no fairness groups");
        }
        else
        {
            lines.Add(Invariant($"{title}: fairness against reference group '{r.Reference}' (positive class {r.PositiveClass}), acceptable ratio [{r.Min:G4}, {r.Max:G4}], groups of at least {r.MinGroupSize} labelled predictions"));
            var width = r.Ratios.Select(x => x.Group.Length).DefaultIfEmpty(5).Max();
            lines.Add(Invariant($"  {"group".PadRight(width)}  {"metric",-19}  {"group",14}  {"reference",14}  {"ratio",7}  card"));
            foreach (var x in r.Ratios)
            {
                var verdict = !x.Judged ? "  (too few to judge)" : x.Passed ? string.Empty : "  <- outside the range";
                lines.Add(Invariant($"  {x.Group.PadRight(width)}  {x.Metric,-19}  {Rate(x.GroupRate, x.GroupSamples),14}  {Rate(x.ReferenceRate, x.ReferenceSamples),14}  {Number(x.Ratio),7}  {Number(x.CardRatio)}{verdict}"));
            }
        }

        lines.Add(Invariant($"  classes over {r.Labelled} labelled predictions: min recall {Number(r.MinClassRecall)}, min precision {Number(r.MinClassPrecision)}"));
        lines.AddRange(r.Classes.Select(c => Invariant($"    class {c.ClassIndex}: support {c.Support}, recall {Number(c.Recall)}, precision {Number(c.Precision)}")));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Rate(double rate, long samples) => Invariant($"{Number(rate)} on {samples}");

    private static string Number(double value) => double.IsNaN(value) ? "-" : value.ToString("F4", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
