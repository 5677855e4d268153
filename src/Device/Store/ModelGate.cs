using System.Globalization;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store.GateMetrics;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The validation gate: a package's model must reproduce every end-to-end case within tolerance, score inside every
/// metric's range, fit the memory budget at its peak while running (not only once loaded) and meet its latency budgets
/// on this device before it may serve.
/// </summary>
internal static class ModelGate
{
    /// <summary>What the device holds packages to.</summary>
    public readonly record struct Limits(long MemoryBudgetBytes, double LatencyLimitMilliseconds);

    public static GateReport Run(VerifiedPackage package, EdgeModel model, Limits limits, MemoryProbe memory, long loadBytes, TimeProvider time)
    {
        var started = time.GetTimestamp();
        var m = package.Manifest;
        var spec = m.Confidence;
        // At least the weights: the measured growth is process-wide and can read 0 when the loader reuses pages freed earlier.
        var load = Math.Max(Math.Max(m.Requirements.MemoryBytes, loadBytes), package.ModelBytes.LongLength);
        var budget = limits.MemoryBudgetBytes;
        var metrics = new List<GateMetricResult>();
        var latencies = new List<GateLatencyResult>();
        var peak = load;
        GateReport Report(string? reason, int cases, int failures, double metric) =>
            new(m.Name, m.Version, reason is null, reason, cases, failures, spec.Metric, metric, spec.Min, spec.Max, load, Math.Max(peak, load), metrics, latencies, time.GetElapsedTime(started));

        if (budget > 0 && load > budget)
        {
            return Report($"needs {load} bytes of memory to load; the budget is {budget}", 0, 0, double.NaN);
        }

        var e2e = package.ReadEndToEndSet();
        var failures = 0;
        string? firstFailure = null;
        for (var i = 0; i < e2e.Count; i++)
        {
            var problem = Compare(model, e2e[i], m.EndToEnd);
            if (problem is not null)
            {
                failures++;
                firstFailure ??= $"end-to-end case {i}: {problem}";
            }
        }

        if (failures > 0)
        {
            peak = Math.Max(peak, memory.PeakGrowth());
            return Report($"{failures} of {e2e.Count} end-to-end cases fail; first, {firstFailure}", e2e.Count, failures, double.NaN);
        }

        var confidence = package.ReadConfidenceSet();
        var outputs = new List<IReadOnlyDictionary<string, EdgeTensor>>(confidence.Count);
        foreach (var c in confidence)
        {
            outputs.Add(RowOutputs(model.Predict(c.Inputs)));
        }

        // The peak covers loading and running both sets: what the model needs to serve, arena and intermediates included.
        peak = Math.Max(peak, memory.PeakGrowth());
        var problems = new List<string>();
        if (budget > 0 && peak > budget)
        {
            problems.Add($"needs {peak} bytes of memory at its peak while running (load {load}); the budget is {budget}");
        }

        var legacy = GateMetricEvaluator.Evaluate(GateMetricEvaluator.FromConfidence(spec), m, outputs, confidence, package.ReadFile);
        if (!legacy.Passed)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{spec.Metric} is {legacy.Value:G6} on {confidence.Count} confidence cases, outside the acceptable range [{spec.Min:G6}, {spec.Max:G6}]"));
        }

        metrics.Add(legacy);
        foreach (var metric in m.Gate?.Metrics ?? [])
        {
            var result = GateMetricEvaluator.Evaluate(metric, m, outputs, confidence, package.ReadFile);
            metrics.Add(result);
            if (!result.Passed)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{result.Name} is {result.Value:G6} on {result.Cases} confidence cases, outside the acceptable range [{result.Min:G6}, {result.Max:G6}]{(result.Detail is null ? string.Empty : $" ({result.Detail})")}"));
            }
        }

        // The card's fairness groups against its reference group: a model may be accurate overall and unfair to one group.
        foreach (var result in FairnessMetrics.Evaluate(m, outputs, confidence))
        {
            metrics.Add(result);
            if (!result.Passed)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"fairness: {result.Name} is {(double.IsNaN(result.Value) ? "undefined" : result.Value.ToString("G4", CultureInfo.InvariantCulture))}, outside the acceptable disparity [{result.Min:G4}, {result.Max:G4}] ({result.Detail})"));
            }
        }

        foreach (var latencyBudget in GateLatency.Budgets(m, limits.LatencyLimitMilliseconds))
        {
            var result = GateLatency.Measure(model, latencyBudget, e2e);
            latencies.Add(result);
            if (!result.Passed)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"p95 latency {result.P95Milliseconds:0.###} ms over {result.Runs} runs{(result.Shape.Length == 0 ? string.Empty : $" at {result.Input} {result.Shape}")} exceeds the budget of {result.BudgetMilliseconds:0.###} ms"));
            }
        }

        return Report(problems.Count == 0 ? null : string.Join("; ", problems), e2e.Count, 0, legacy.Value);
    }

    /// <summary>A prediction's outputs by name, the per-row form every gate metric reads.</summary>
    internal static IReadOnlyDictionary<string, EdgeTensor> RowOutputs(Prediction prediction)
    {
        var row = new Dictionary<string, EdgeTensor>(prediction.Names.Count, StringComparer.Ordinal);
        for (var i = 0; i < prediction.Names.Count; i++)
        {
            // ZipMap probabilities become a [rows, classes] tensor the metrics read like any other; other kinds no metric reads.
            if (ScoreOutputs.TryOf(prediction, prediction.Names[i], out var tensor))
            {
                row[prediction.Names[i]] = tensor;
            }
        }

        return row;
    }

    /// <summary>Null when every expected output matches; otherwise what differs first.</summary>
    internal static string? Compare(EdgeModel model, EndToEndCase c, EndToEndSpec spec)
    {
        Prediction prediction;
        try
        {
            prediction = model.Predict(c.Inputs);
        }
        catch (EdgeException ex)
        {
            return $"the model refused the inputs: {ex.Message}";
        }

        foreach (var (name, expected) in c.ExpectedOutputs)
        {
            var own = spec.Outputs?.FirstOrDefault(t => t.Output == name);
            var absolute = own?.AbsoluteTolerance ?? spec.AbsoluteTolerance;
            var relative = own?.RelativeTolerance ?? spec.RelativeTolerance;
            var actual = prediction[name];
            if (actual.ElementType != expected.ElementType || !actual.Shape.SequenceEqual(expected.Shape))
            {
                return $"output '{name}' is {actual}, expected {expected}";
            }

            for (var i = 0; i < expected.ElementCount; i++)
            {
                if (!ElementMatches(expected, actual, i, absolute, relative, out var e, out var a))
                {
                    return $"output '{name}'[{i}] is {a}, expected {e} (tolerance abs {absolute}, rel {relative})";
                }
            }
        }

        // Sequences, maps and optional outputs, compared item by item with the same tolerances.
        foreach (var (name, expected) in c.ExpectedValues)
        {
            var own = spec.Outputs?.FirstOrDefault(t => t.Output == name);
            var problem = ValueComparison.Difference(name, expected, prediction.GetValue(name), own?.AbsoluteTolerance ?? spec.AbsoluteTolerance, own?.RelativeTolerance ?? spec.RelativeTolerance);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    internal static bool ElementMatches(EdgeTensor expected, EdgeTensor actual, int i, double absolute, double relative, out string e, out string a)
    {
        if (ElementTypes.IsFloatingPoint(expected.ElementType))
        {
            var x = AsDouble(expected, i);
            var y = AsDouble(actual, i);
            e = x.ToString("G9", CultureInfo.InvariantCulture);
            a = y.ToString("G9", CultureInfo.InvariantCulture);
            return (double.IsNaN(x) && double.IsNaN(y)) || x == y || Math.Abs(x - y) <= absolute + (relative * Math.Abs(x));
        }

        e = ElementText(expected, i);
        a = ElementText(actual, i);
        return e == a;
    }

    private static double AsDouble(EdgeTensor t, int i) => t.ElementType switch
    {
        EdgeElementType.Float => t.AsSpan<float>()[i],
        EdgeElementType.Double => t.AsSpan<double>()[i],
        EdgeElementType.BFloat16 => ElementTypes.BFloat16ToSingle(t.AsSpan<ushort>()[i]),
        _ => (double)t.AsSpan<Half>()[i],
    };

    private static string ElementText(EdgeTensor t, int i) => t.ElementType switch
    {
        EdgeElementType.String => t.AsSpan<string>()[i],
        EdgeElementType.Bool => t.AsSpan<bool>()[i] ? "true" : "false",
        EdgeElementType.Int8 => t.AsSpan<sbyte>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.Int16 => t.AsSpan<short>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.Int32 => t.AsSpan<int>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.Int64 => t.AsSpan<long>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.UInt8 => t.AsSpan<byte>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.UInt16 => t.AsSpan<ushort>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.UInt32 => t.AsSpan<uint>()[i].ToString(CultureInfo.InvariantCulture),
        EdgeElementType.UInt64 => t.AsSpan<ulong>()[i].ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };
}
