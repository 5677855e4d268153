using System.CommandLine;
using System.Text.Json;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var input = new Option<string>("--input", "-i")
        {
            Description = "Inputs: inline JSON, @file.json (one object) or @file.jsonl (one object per line).",
            Required = true,
        };
        var allowNonFinite = new Option<bool>("--allow-nonfinite") { Description = "Pass NaN/Infinity inputs to the model instead of rejecting them." };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Run a model on JSON inputs and print the outputs as JSON, one line per input.")
        {
            model, input, allowNonFinite, provider, threads,
        };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var options = CommonOptions.ToOptions(
                result.GetValue(provider)!,
                result.GetValue(threads),
                result.GetValue(allowNonFinite) ? NonFiniteInputPolicy.Allow : NonFiniteInputPolicy.Reject);
            var path = result.GetValue(model)!;
            if (path.EndsWith(".edgepkg", StringComparison.OrdinalIgnoreCase))
            {
                throw new EdgeException(EdgeErrorCode.InvalidModel, $"'{path}' is an EdgeDeploy package, not an .onnx model. Install it and predict through the store (edge store install {path} --store DIR --trust DIR, then edge store predict --store DIR --trust DIR -i ...), or inspect it with edge info {path}.");
            }

            using var loaded = EdgeModel.Load(path, options);
            return Run(loaded, result.GetValue(input)!);
        }));
        return command;
    }

    private static int Run(EdgeModel model, string input)
    {
        IEnumerable<string> lines;
        if (input.StartsWith('@'))
        {
            var path = input[1..];
            lines = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
                ? File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l))
                : [File.ReadAllText(path)];
        }
        else
        {
            lines = [input];
        }

        var failures = 0;
        using var stdout = Console.OpenStandardOutput();
        foreach (var line in lines)
        {
            using (var writer = new Utf8JsonWriter(stdout, JsonOutput.Compact))
            {
                try
                {
                    var prediction = model.Predict(TensorJson.ReadInputs(line, model.Schema));
                    TensorJson.WritePrediction(writer, prediction);
                }
                catch (EdgeException ex)
                {
                    // One line per input, even for bad ones, so outputs stay aligned with a JSONL input.
                    failures++;
                    writer.WriteStartObject();
                    writer.WriteStartObject("error");
                    writer.WriteString("code", ex.Code.ToString());
                    writer.WriteString("message", ex.Message);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                    Console.Error.WriteLine($"error: {ex.Code}: {ex.Message}");
                }
            }

            stdout.WriteByte((byte)'\n');
            stdout.Flush();
        }

        return failures == 0 ? 0 : 1;
    }
}
