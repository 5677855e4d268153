using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

internal static class PackCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The .onnx model.", Required = true };
        var name = new Option<string>("--name") { Description = "Model name (lowercase, digits, '.', '-', '_').", Required = true };
        var version = new Option<string>("--version") { Description = "Semantic version, e.g. 1.0.0.", Required = true };
        var card = new Option<string>("--card") { Description = "JSON with modelCard, features, versionSync, hyperparameters, requirements and audit.", Required = true };
        var e2e = new Option<string>("--e2e") { Description = "End-to-end test set, JSONL: {\"inputs\": {...}, \"outputs\": {...}} per line.", Required = true };
        var e2eFromModel = new Option<bool>("--e2e-from-model") { Description = "Fill the expected outputs by running the model on the inputs." };
        var absTol = new Option<double>("--abs-tol") { Description = "End-to-end absolute tolerance.", DefaultValueFactory = _ => 1e-4 };
        var relTol = new Option<double>("--rel-tol") { Description = "End-to-end relative tolerance.", DefaultValueFactory = _ => 1e-4 };
        var confidence = new Option<string>("--confidence") { Description = "Confidence test set, JSONL: {\"inputs\": {...}, \"label\": number} per line.", Required = true };
        var metric = new Option<ConfidenceMetric>("--metric") { Description = "accuracy, auc, f1, mae or rmse.", Required = true };
        var metricOutput = new Option<string>("--metric-output") { Description = "Model output the metric reads.", Required = true };
        var min = new Option<double>("--metric-min") { Description = "Lowest acceptable metric value.", Required = true };
        var max = new Option<double>("--metric-max") { Description = "Highest acceptable metric value.", Required = true };
        var positive = new Option<int>("--positive-class") { Description = "Class index AUC and binary F1 score.", DefaultValueFactory = _ => 1 };
        var train = new Option<string?>("--train") { Description = "Training data (CSV with header, or JSONL objects) for the drift reference." };
        var days = new Option<int>("--validity-days") { Description = "Days devices accept the package.", DefaultValueFactory = _ => 365 };
        var output = new Option<string>("--out") { Description = "The unsigned .edgepkg to write.", Required = true };
        var files = new Option<string[]>("--file") { Description = "An extra file shipped, hashed and signed in the package, as PATH=LOCAL_FILE (e.g. vocab.txt=models/ctc_sample.vocab.txt for a CTC metric); repeatable.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("pack", "Build an unsigned model package from a model, its card and its test sets.")
        {
            model, name, version, card, e2e, e2eFromModel, absTol, relTol, confidence, metric, metricOutput, min, max, positive, train, days, output, files,
        };
        command.SetAction(r => CommonOptions.Guard(() =>
        {
            var modelBytes = File.ReadAllBytes(r.GetValue(model)!);
            using var loaded = EdgeModel.Load(modelBytes, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
            var e2eCases = ReadEndToEnd(r.GetValue(e2e)!, loaded, r.GetValue(e2eFromModel));
            var confidenceCases = ReadConfidence(r.GetValue(confidence)!, loaded.Schema);
            var builder = new PackageBuilder(r.GetValue(name)!, r.GetValue(version)!)
                .WithModel(modelBytes)
                .WithMetadata(PackageMetadataInput.Parse(File.ReadAllBytes(r.GetValue(card)!)))
                .WithEndToEndSet(e2eCases, r.GetValue(absTol), r.GetValue(relTol))
                .WithConfidenceSet(confidenceCases, r.GetValue(metric), r.GetValue(metricOutput)!, r.GetValue(min), r.GetValue(max), r.GetValue(positive))
                .WithValidity(TimeSpan.FromDays(r.GetValue(days)));
            foreach (var file in r.GetValue(files) ?? [])
            {
                var split = file.IndexOf('=', StringComparison.Ordinal);
                if (split <= 0 || split == file.Length - 1)
                {
                    throw new EdgeException(EdgeErrorCode.InvalidArgument, $"--file '{file}' is not PATH=LOCAL_FILE.");
                }

                builder.WithFile(file[..split], File.ReadAllBytes(file[(split + 1)..]));
            }

            if (r.GetValue(train) is { } trainPath)
            {
                var (columns, rows) = ReadTable(trainPath);
                builder.WithDriftReference(DriftReferenceBuilder.Compute(columns, rows, loaded));
            }

            var bytes = builder.Build();
            File.WriteAllBytes(r.GetValue(output)!, bytes);
            Console.WriteLine($"wrote {r.GetValue(output)} ({bytes.Length} bytes, {e2eCases.Count} end-to-end and {confidenceCases.Count} confidence cases, unsigned)");
            return 0;
        }));
        return command;
    }

    private static List<EndToEndCase> ReadEndToEnd(string path, EdgeModel model, bool fromModel)
    {
        var cases = new List<EndToEndCase>();
        foreach (var (line, number) in Lines(path))
        {
            using var doc = Parse(line, path, number);
            var inputs = TensorJson.ReadInputs(doc.RootElement, model.Schema);
            var expected = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
            var values = new Dictionary<string, EdgeValue>(StringComparer.Ordinal);
            if (fromModel)
            {
                var prediction = model.Predict(inputs);
                for (var i = 0; i < prediction.Names.Count; i++)
                {
                    if (prediction.Values[i].Kind == EdgeValueKind.Tensor)
                    {
                        expected[prediction.Names[i]] = prediction.Tensors[i];
                    }
                    else
                    {
                        values[prediction.Names[i]] = prediction.Values[i];
                    }
                }
            }
            else if (doc.RootElement.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
            {
                foreach (var o in outputs.EnumerateObject())
                {
                    var schema = model.Schema.FindOutput(o.Name)
                        ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{path}:{number}: output '{o.Name}' is not an output of the model.");
                    if (schema.Kind == EdgeValueKind.Tensor && !schema.IsOptional)
                    {
                        expected[o.Name] = TensorJson.ReadTensor(o.Value, o.Name, schema.ElementType);
                    }
                    else
                    {
                        values[o.Name] = TensorJson.ReadValue(o.Value, schema);
                    }
                }
            }
            else
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{path}:{number}: no \"outputs\"; add them or pass --e2e-from-model.");
            }

            cases.Add(new EndToEndCase(inputs, expected) { ExpectedValues = values });
        }

        return cases;
    }

    private static List<ConfidenceCase> ReadConfidence(string path, ModelSchema schema)
    {
        var cases = new List<ConfidenceCase>();
        foreach (var (line, number) in Lines(path))
        {
            using var doc = Parse(line, path, number);
            var hasTruth = doc.RootElement.TryGetProperty("truth", out var truth) && truth.ValueKind == JsonValueKind.Object;
            var hasLabel = doc.RootElement.TryGetProperty("label", out var label) && label.ValueKind == JsonValueKind.Number;
            if (!hasLabel && !hasTruth)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{path}:{number}: a confidence case needs a numeric \"label\" or a \"truth\" object.");
            }

            cases.Add(new ConfidenceCase(TensorJson.ReadInputs(doc.RootElement, schema), hasLabel ? label.GetDouble() : 0) { Truth = hasTruth ? ReadTruth(truth) : null });
        }

        return cases;
    }

    /// <summary>Structured truth: "text" as a string (CER/WER), "boxes" and "classes" as {shape, data} tensors (mAP).</summary>
    private static Dictionary<string, EdgeTensor> ReadTruth(JsonElement truth)
    {
        var result = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        if (truth.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            result["text"] = EdgeTensor.Create([text.GetString()!], [1]);
        }

        if (truth.TryGetProperty("boxes", out var boxes))
        {
            result["boxes"] = TensorJson.ReadTensor(boxes, "boxes", EdgeElementType.Float);
        }

        if (truth.TryGetProperty("classes", out var classes))
        {
            result["classes"] = TensorJson.ReadTensor(classes, "classes", EdgeElementType.Int64);
        }

        return result;
    }

    private static (List<string> Columns, List<IReadOnlyList<string>> Rows) ReadTable(string path)
    {
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            List<string>? columns = null;
            var rows = new List<IReadOnlyList<string>>();
            foreach (var (line, number) in Lines(path))
            {
                using var doc = Parse(line, path, number);
                columns ??= [.. doc.RootElement.EnumerateObject().Select(p => p.Name)];
                rows.Add([.. columns.Select(c => doc.RootElement.TryGetProperty(c, out var v) ? Cell(v) : string.Empty)]);
            }

            return (columns ?? [], rows);
        }

        // Plain CSV: a header row, comma-separated cells, no quoting (training exports of numeric features).
        var all = File.ReadLines(path).Where(l => l.Length > 0).ToList();
        if (all.Count < 2)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{path} needs a header row and at least one data row.");
        }

        return ([.. all[0].Split(',').Select(c => c.Trim())], [.. all.Skip(1).Select(l => (IReadOnlyList<string>)l.Split(',').Select(c => c.Trim()).ToList())]);
    }

    private static string Cell(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.String => v.GetString() ?? string.Empty,
        JsonValueKind.True => "1",
        JsonValueKind.False => "0",
        _ => string.Empty,
    };

    private static IEnumerable<(string Line, int Number)> Lines(string path) =>
        File.ReadLines(path).Select((l, i) => (l, i + 1)).Where(x => !string.IsNullOrWhiteSpace(x.l));

    private static JsonDocument Parse(string line, string path, int number)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"{path}:{number}: {ex.Message}", ex);
        }
    }
}
