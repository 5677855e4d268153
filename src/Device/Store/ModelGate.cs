using System.Diagnostics;
using System.Globalization;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The validation gate: a package's model must reproduce every end-to-end case within tolerance, score inside the
/// confidence range and fit the memory budget before it may serve.
/// </summary>
internal static class ModelGate
{
    public static GateReport Run(VerifiedPackage package, EdgeModel model, long memoryBudgetBytes, long measuredLoadBytes, TimeProvider time)
    {
        var started = time.GetTimestamp();
        var m = package.Manifest;
        var spec = m.Confidence;
        var memory = Math.Max(m.Requirements.MemoryBytes, measuredLoadBytes);
        GateReport Report(bool passed, string? reason, int cases, int failures, double metric) =>
            new(m.Name, m.Version, passed, reason, cases, failures, spec.Metric, metric, spec.Min, spec.Max, memory, time.GetElapsedTime(started));

        if (memoryBudgetBytes > 0 && memory > memoryBudgetBytes)
        {
            return Report(false, $"needs {memory} bytes of memory; the budget is {memoryBudgetBytes}", 0, 0, double.NaN);
        }

        var e2e = package.ReadEndToEndSet();
        var failures = 0;
        string? firstFailure = null;
        for (var i = 0; i < e2e.Count; i++)
        {
            var problem = Compare(model, e2e[i], m.EndToEnd.AbsoluteTolerance, m.EndToEnd.RelativeTolerance);
            if (problem is not null)
            {
                failures++;
                firstFailure ??= $"end-to-end case {i}: {problem}";
            }
        }

        if (failures > 0)
        {
            return Report(false, $"{failures} of {e2e.Count} end-to-end cases fail; first, {firstFailure}", e2e.Count, failures, double.NaN);
        }

        var confidence = package.ReadConfidenceSet();
        var readings = new List<Metrics.Reading>(confidence.Count);
        foreach (var c in confidence)
        {
            readings.Add(Metrics.Read(ScoreOutputs.Of(model.Predict(c.Inputs), spec.Output), spec.PositiveClass));
        }

        var value = Metrics.Compute(spec.Metric, readings, confidence.Select(c => c.Label).ToList(), spec.PositiveClass);
        if (!(value >= spec.Min && value <= spec.Max))
        {
            return Report(false, string.Create(CultureInfo.InvariantCulture, $"{spec.Metric} is {value:G6} on {confidence.Count} confidence cases, outside the acceptable range [{spec.Min:G6}, {spec.Max:G6}]"), e2e.Count, 0, value);
        }

        return Report(true, null, e2e.Count, 0, value);
    }

    /// <summary>Null when every expected output matches; otherwise what differs first.</summary>
    internal static string? Compare(EdgeModel model, EndToEndCase c, double absolute, double relative)
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
            var problem = ValueComparison.Difference(name, expected, prediction.GetValue(name), absolute, relative);
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

    /// <summary>Process memory growth while <paramref name="load"/> runs (a rough figure: the runtime's allocations are not per-model).</summary>
    public static (T Result, long Bytes) MeasureLoad<T>(Func<T> load)
    {
        using var process = Process.GetCurrentProcess();
        var before = process.WorkingSet64;
        var result = load();
        process.Refresh();
        return (result, Math.Max(0, process.WorkingSet64 - before));
    }
}
