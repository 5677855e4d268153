using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Cli.Benchmarking;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Cli.Commands;

internal static class BenchCommand
{
    /// <summary>The convenient path's goal (issue 18): Predict with validation within 1.15x raw ONNX Runtime at p50 ...</summary>
    internal const double ConvenientGoalRatio = 1.15;

    /// <summary>... allocating at most 512 B per call (the returned prediction included).</summary>
    internal const int ConvenientGoalBytes = 512;

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var iterations = new Option<int>("--iterations", "-n") { Description = "Timed calls per variant.", DefaultValueFactory = _ => 20_000 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed calls per variant first.", DefaultValueFactory = _ => 1_000 };
        var threads = CommonOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON." };
        var provider = new Option<string>("--provider")
        {
            Description = "Execution provider for every variant, the raw baseline included: cpu, cuda or auto.",
            DefaultValueFactory = _ => "cpu",
        };
        var shape = new Option<string[]>("--shape")
        {
            Description = "NAME=d0,d1,... : the shape of a dynamic input for random data (repeatable); other dynamic dimensions are 1.",
            AllowMultipleArgumentsPerToken = false,
        };
        var input = new Option<string?>("--input", "-i") { Description = "Real inputs instead of random data: inline JSON or @file.json (one object)." };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Instead of the latency table: N concurrent PredictAsync callers, throughput and latency without and with micro-batching.",
        };
        var batching = new Option<string?>("--batching")
        {
            Description = "Micro-batching settings for --concurrency: max=N,delay=D (D in ms, us or s, e.g. 1ms). Default max=8,delay=1ms.",
        };
        var command = new Command("bench", "Measure predict latency (p50/p99 µs) and bytes allocated per predict against raw ONNX Runtime, in one run.")
        {
            model, iterations, warmup, threads, json, provider, shape, input, concurrency, batching,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var n = result.GetValue(iterations);
            if (n < 100)
            {
                Console.Error.WriteLine("error: --iterations must be at least 100.");
                return 2;
            }

            var given = result.GetValue(input);
            if (given is not null && result.GetValue(shape) is { Length: > 0 })
            {
                Console.Error.WriteLine("error: InvalidArgument: --input gives the shapes itself; drop --shape.");
                return 2;
            }

            var settings = new BenchmarkSettings(
                result.GetValue(model)!,
                n,
                Math.Max(0, result.GetValue(warmup)),
                result.GetValue(threads),
                CommonOptions.ToOptions(result.GetValue(provider)!, 1).ExecutionProvider,
                ParseShapes(result.GetValue(shape) ?? []),
                given is null ? null : given.StartsWith('@') ? File.ReadAllText(given[1..]) : given);
            var callers = result.GetValue(concurrency);
            var batchingText = result.GetValue(batching);
            if (callers < 0 || callers > 4096 || (batchingText is not null && callers == 0))
            {
                Console.Error.WriteLine("error: InvalidArgument: --concurrency must be between 1 and 4096 (and is required by --batching).");
                return 2;
            }

            if (callers > 0)
            {
                var concurrent = ConcurrencyBenchmark.Run(settings, callers, ParseBatching(batchingText));
                if (result.GetValue(json))
                {
                    WriteJson(concurrent);
                }
                else
                {
                    WriteText(concurrent);
                }

                return 0;
            }

            var report = ModelBenchmark.Run(settings);
            if (result.GetValue(json))
            {
                WriteJson(report);
            }
            else
            {
                WriteText(report);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Parses <c>NAME=d0,d1,...</c> values; a malformed one is a usage error naming the value.</summary>
    internal static Dictionary<string, long[]> ParseShapes(IEnumerable<string> values)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            var dims = eq > 0 ? value[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries) : [];
            var shape = new long[dims.Length];
            var ok = dims.Length > 0;
            for (var i = 0; ok && i < dims.Length; i++)
            {
                ok = long.TryParse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) && shape[i] > 0;
            }

            if (!ok)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"--shape '{value}' is not NAME=d0,d1,... with positive whole dimensions.");
            }

            if (!shapes.TryAdd(value[..eq], shape))
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"--shape gives '{value[..eq]}' twice.");
            }
        }

        return shapes;
    }

    /// <summary>Parses <c>max=N,delay=D</c> (either part optional); a malformed value is a usage error naming it.</summary>
    internal static MicroBatchingOptions ParseBatching(string? value)
    {
        var options = new MicroBatchingOptions();
        if (string.IsNullOrWhiteSpace(value))
        {
            return options;
        }

        var (max, delay) = (options.MaxBatchSize, options.MaxDelay);
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var (key, text) = eq > 0 ? (part[..eq], part[(eq + 1)..]) : (part, string.Empty);
            var ok = key switch
            {
                "max" => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max),
                "delay" => TryParseDuration(text, out delay),
                _ => false,
            };
            if (!ok)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"--batching '{value}': '{part}' is not max=N or delay=D (D like 1ms, 500us, 0.002s).");
            }
        }

        options = new MicroBatchingOptions { MaxBatchSize = max, MaxDelay = delay };
        options.Validate();
        return options;
    }

    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1e-3)
            : text.EndsWith("us", StringComparison.Ordinal) ? (text[..^2], 1e-6)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1e-3);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }

    private static void WriteText(ConcurrencyReport report)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"model {report.Model}, {report.Concurrency} concurrent PredictAsync callers, {report.Modes[0].Calls} timed calls per mode");
        Console.WriteLine($"{"mode",-34} {"predict/s",12} {"p50 µs",10} {"p99 µs",10} {"mean batch",11}");
        foreach (var m in report.Modes)
        {
            Console.WriteLine(string.Format(c, "{0,-34} {1,12:F0} {2,10:F1} {3,10:F1} {4,11:F2}", m.Name, m.PerSecond, m.P50Micros, m.P99Micros, m.MeanBatch));
        }

        Console.WriteLine(string.Create(c, $"batching: throughput {report.Modes[1].PerSecond / report.Modes[0].PerSecond:F2}x, p50 latency {report.Modes[1].P50Micros / report.Modes[0].P50Micros:F2}x"));
    }

    private static void WriteJson(ConcurrencyReport report)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, JsonOutput.Indented))
        {
            w.WriteStartObject();
            w.WriteString("model", report.Model);
            w.WriteNumber("concurrency", report.Concurrency);
            w.WriteStartArray("modes");
            foreach (var m in report.Modes)
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteNumber("calls", m.Calls);
                w.WriteNumber("perSecond", Math.Round(m.PerSecond, 1));
                w.WriteNumber("p50Micros", Math.Round(m.P50Micros, 3));
                w.WriteNumber("p99Micros", Math.Round(m.P99Micros, 3));
                w.WriteNumber("meanBatch", Math.Round(m.MeanBatch, 3));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static void WriteText(BenchmarkReport report)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"model {report.Model}, provider {report.Provider}, {report.Threads} intra-op thread(s), {report.Raw.Iterations} timed calls per variant");
        Console.WriteLine($"{"variant",-30} {"p50 µs",10} {"p99 µs",10} {"mean µs",10} {"B/predict",10} {"p50 ratio",10} {"p99 ratio",10}");
        foreach (var v in report.Variants)
        {
            Console.WriteLine(string.Format(
                c,
                "{0,-30} {1,10:F2} {2,10:F2} {3,10:F2} {4,10:F1} {5,10:F3} {6,10:F3}",
                v.Name,
                v.P50Micros,
                v.P99Micros,
                v.MeanMicros,
                v.BytesPerPredict,
                v.P50Micros / report.Raw.P50Micros,
                v.P99Micros / report.Raw.P99Micros));
        }

        var predict = report.Variants[2];
        var recorded = report.Variants[3];
        var ratio = predict.P50Micros / report.Raw.P50Micros;
        Console.WriteLine(string.Create(c, $"convenient path (predict with validation): p50 {ratio:F3}x raw (goal <= {ConvenientGoalRatio:F2}x), {predict.BytesPerPredict:F0} B/predict (goal <= {ConvenientGoalBytes} B): {(ratio <= ConvenientGoalRatio && predict.BytesPerPredict <= ConvenientGoalBytes ? "met" : "not met")}"));
        Console.WriteLine(string.Create(c, $"telemetry overhead on predict: p50 {recorded.P50Micros / predict.P50Micros:F3}x, mean {recorded.MeanMicros / predict.MeanMicros:F3}x; {report.Telemetry!.Recorded} records queued, {report.Telemetry.Pending} committed, {report.Telemetry.DroppedInMemory} dropped in memory"));
    }

    private static void WriteJson(BenchmarkReport report)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, JsonOutput.Indented))
        {
            w.WriteStartObject();
            w.WriteString("model", report.Model);
            w.WriteString("provider", report.Provider);
            w.WriteNumber("threads", report.Threads);
            w.WriteStartArray("variants");
            foreach (var v in report.Variants)
            {
                w.WriteStartObject();
                w.WriteString("name", v.Name);
                w.WriteNumber("iterations", v.Iterations);
                w.WriteNumber("p50Micros", Math.Round(v.P50Micros, 3));
                w.WriteNumber("p99Micros", Math.Round(v.P99Micros, 3));
                w.WriteNumber("meanMicros", Math.Round(v.MeanMicros, 3));
                w.WriteNumber("bytesPerPredict", v.BytesPerPredict);
                w.WriteNumber("p50RatioToRaw", Math.Round(v.P50Micros / report.Raw.P50Micros, 4));
                w.WriteNumber("p99RatioToRaw", Math.Round(v.P99Micros / report.Raw.P99Micros, 4));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            var predict = report.Variants[2];
            w.WriteStartObject("convenientPath");
            w.WriteNumber("p50RatioToRaw", Math.Round(predict.P50Micros / report.Raw.P50Micros, 4));
            w.WriteNumber("bytesPerPredict", predict.BytesPerPredict);
            w.WriteNumber("goalP50Ratio", ConvenientGoalRatio);
            w.WriteNumber("goalBytesPerPredict", ConvenientGoalBytes);
            w.WriteBoolean("met", predict.P50Micros / report.Raw.P50Micros <= ConvenientGoalRatio && predict.BytesPerPredict <= ConvenientGoalBytes);
            w.WriteEndObject();
            w.WriteStartObject("telemetry");
            w.WriteNumber("p50OverheadRatio", Math.Round(report.Variants[3].P50Micros / report.Variants[2].P50Micros, 4));
            w.WriteNumber("meanOverheadRatio", Math.Round(report.Variants[3].MeanMicros / report.Variants[2].MeanMicros, 4));
            w.WriteNumber("recorded", report.Telemetry!.Recorded);
            w.WriteNumber("committed", report.Telemetry.Pending);
            w.WriteNumber("droppedInMemory", report.Telemetry.DroppedInMemory);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }
}
