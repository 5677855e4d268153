using System.Globalization;
using EdgeDeploy.Runtime.Store;

namespace EdgeDeploy.Cli.Commands;

/// <summary>Text for what the gate measured: on the device (<c>edge store install</c>) and per device class in a rollout.</summary>
internal static class GateFiguresText
{
    /// <summary>The gate report's figures, one line each: memory, latency budgets, metrics.</summary>
    public static IEnumerable<string> Lines(GateReport gate)
    {
        yield return $"memory: load {Mb(gate.LoadBytes)}, peak {Mb(gate.PeakBytes)}";
        foreach (var l in gate.Latencies)
        {
            yield return Latency(l.Input, l.Shape, l.P95Milliseconds, l.BudgetMilliseconds, l.Runs, l.Passed);
        }

        foreach (var m in gate.Metrics)
        {
            yield return Metric(m.Name, m.Value, m.Min, m.Max, m.Cases, m.Passed) + (m.Detail is null ? string.Empty : $" ({m.Detail})");
        }
    }

    /// <summary>A rollout's install reports: per device class a summary, then each device.</summary>
    public static IEnumerable<string> RolloutLines(Protos.V1.Rollout r)
    {
        foreach (var group in r.Installs.GroupBy(i => i.Gate?.DeviceClass ?? string.Empty).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var withGate = group.Where(i => i.Gate is not null).Select(i => i.Gate!).ToList();
            var text = $"  device class {(group.Key.Length == 0 ? "(no hardware attribute)" : group.Key)}: {group.Count()} reports, {group.Count(i => i.Success)} installed, {group.Count(i => !i.Success)} failed";
            if (withGate.Count > 0)
            {
                text += $"; load up to {Mb(withGate.Max(g => g.LoadBytes))}, peak up to {Mb(withGate.Max(g => g.PeakBytes))}";
                foreach (var shape in withGate.SelectMany(g => g.Latencies).GroupBy(l => (l.Input, l.Shape)))
                {
                    text += string.Create(CultureInfo.InvariantCulture, $"; p95 {Where(shape.Key.Input, shape.Key.Shape)} up to {shape.Max(l => l.P95Ms):0.###} ms (budget {shape.Min(l => l.BudgetMs):0.###} ms, {shape.Count(l => !l.Passed)} over)");
                }
            }

            yield return text;
        }

        foreach (var i in r.Installs)
        {
            var text = $"  install {i.DeviceId} {i.Version}: {(i.Success ? "installed" : "failed: " + i.Reason)}";
            if (i.Gate is { } g)
            {
                text += $"; load {Mb(g.LoadBytes)}, peak {Mb(g.PeakBytes)}";
                text += string.Concat(g.Latencies.Select(l => string.Create(CultureInfo.InvariantCulture, $"; p95 {Where(l.Input, l.Shape)} {l.P95Ms:0.###} ms (budget {l.BudgetMs:0.###})")));
                text += string.Concat(g.Metrics.Select(m => "; " + Metric(m.Name, m.Value, m.Min, m.Max, m.Cases, m.Passed)));
            }

            yield return text;
        }
    }

    private static string Latency(string input, string shape, double p95, double budget, int runs, bool passed) =>
        string.Create(CultureInfo.InvariantCulture, $"latency: p95 {p95:0.###} ms at {Where(input, shape)} over {runs} runs, budget {budget:0.###} ms{(passed ? string.Empty : " (over)")}");

    private static string Metric(string name, double value, double min, double max, int cases, bool passed) =>
        string.Create(CultureInfo.InvariantCulture, $"metric: {name} {(double.IsNaN(value) ? "-" : value.ToString("G6", CultureInfo.InvariantCulture))} in [{min:G6}, {max:G6}] on {cases} cases{(passed ? string.Empty : " (outside)")}");

    private static string Where(string input, string shape) => shape.Length == 0 ? input : $"{input} {shape}";

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
}
