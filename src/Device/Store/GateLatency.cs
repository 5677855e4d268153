using System.Diagnostics;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime.Store;

/// <summary>Times a model on this device against p95 latency budgets (one per input shape).</summary>
internal static class GateLatency
{
    private const int WarmUpRuns = 2;

    /// <summary>
    /// The budgets to hold the model to: the manifest's, each capped by the device's own limit when it states one; with a
    /// device limit and no manifest budget, the end-to-end inputs are timed against the device limit.
    /// </summary>
    public static List<LatencyBudget> Budgets(PackageManifest manifest, double deviceLimitMilliseconds)
    {
        var budgets = manifest.Gate?.LatencyBudgets ?? [];
        if (deviceLimitMilliseconds <= 0)
        {
            return [.. budgets];
        }

        if (budgets.Count == 0)
        {
            return [new LatencyBudget { P95Milliseconds = deviceLimitMilliseconds }];
        }

        return [.. budgets.Select(b => new LatencyBudget { Input = b.Input, Shape = b.Shape, Runs = b.Runs, P95Milliseconds = Math.Min(b.P95Milliseconds, deviceLimitMilliseconds) })];
    }

    /// <summary>Runs two warm-up predictions, then <see cref="LatencyBudget.Runs"/> timed ones; p95 by nearest rank.</summary>
    public static GateLatencyResult Measure(EdgeModel model, LatencyBudget budget, IReadOnlyList<EndToEndCase> e2e)
    {
        List<IReadOnlyDictionary<string, EdgeTensor>> inputs;
        string input, shape;
        if (budget.Shape is { } dims)
        {
            var schema = budget.Input is null ? model.Schema.Inputs[0] : model.Schema.FindInput(budget.Input)!;
            var generated = new Dictionary<string, EdgeTensor>(e2e.Count > 0 ? e2e[0].Inputs : new Dictionary<string, EdgeTensor>(), StringComparer.Ordinal)
            {
                [schema.Name] = Generate(schema.ElementType, [.. dims]),
            };
            inputs = [generated];
            input = schema.Name;
            shape = string.Join('x', dims);
        }
        else
        {
            inputs = [.. e2e.Select(c => c.Inputs)];
            input = "(end-to-end inputs)";
            shape = string.Empty;
        }

        for (var i = 0; i < WarmUpRuns; i++)
        {
            model.Predict(inputs[i % inputs.Count]);
        }

        var times = new double[budget.Runs];
        for (var i = 0; i < times.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            model.Predict(inputs[i % inputs.Count]);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        var p95 = times[Math.Max(0, (int)Math.Ceiling(0.95 * times.Length) - 1)];
        return new GateLatencyResult(input, shape, p95, budget.P95Milliseconds, times.Length, p95 <= budget.P95Milliseconds);
    }

    /// <summary>A tensor of <paramref name="shape"/> with deterministic, non-constant values (so no kernel takes a zero shortcut).</summary>
    private static EdgeTensor Generate(EdgeElementType type, long[] shape)
    {
        var count = checked((int)Shapes.ElementCount(shape));
        var array = ElementTypes.NewArray(type, count, "latency budget input");
        switch (array)
        {
            case float[] f:
                for (var i = 0; i < f.Length; i++)
                {
                    f[i] = ((i * 2654435761u) % 1000) / 1000f;
                }

                break;
            case double[] d:
                for (var i = 0; i < d.Length; i++)
                {
                    d[i] = ((i * 2654435761u) % 1000) / 1000.0;
                }

                break;
            case string[] s:
                Array.Fill(s, string.Empty);
                break;
        }

        return EdgeTensor.Wrap(array, shape, type);
    }
}
