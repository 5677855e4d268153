using System.CommandLine;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "An .onnx model or an .edgepkg package." };
        var json = new Option<bool>("--json") { Description = "Print the schema as JSON." };
        var provider = CommonOptions.Provider();
        var command = new Command("info", "Show a model's inputs, outputs, metadata and execution provider, or a package's model card.") { model, json, provider };
        command.SetAction(result => CommonOptions.Guard(() =>
        {
            var path = result.GetValue(model)!;
            if (path.EndsWith(".edgepkg", StringComparison.OrdinalIgnoreCase))
            {
                if (result.GetValue(json))
                {
                    PackageInfo.WriteJson(path);
                }
                else
                {
                    PackageInfo.WriteText(PackageVerifier.ReadUnverifiedManifest(path));
                }

                return 0;
            }

            using var loaded = EdgeModel.Load(result.GetValue(model)!, CommonOptions.ToOptions(result.GetValue(provider)!, 1));
            if (result.GetValue(json))
            {
                WriteJson(loaded);
            }
            else
            {
                WriteText(loaded);
            }

            return 0;
        }));
        return command;
    }

    private static void WriteText(EdgeModel model)
    {
        var s = model.Schema;
        Console.WriteLine($"graph:     {s.GraphName}");
        Console.WriteLine($"producer:  {s.ProducerName}");
        if (!string.IsNullOrEmpty(s.Description))
        {
            Console.WriteLine($"about:     {s.Description}");
        }

        Console.WriteLine($"provider:  {model.ExecutionProvider}");
        Console.WriteLine("inputs:");
        foreach (var t in s.Inputs)
        {
            Console.WriteLine($"  {t}");
        }

        Console.WriteLine("outputs:");
        foreach (var t in s.Outputs)
        {
            Console.WriteLine($"  {t}");
        }
    }

    private static void WriteJson(EdgeModel model)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new Utf8JsonWriter(stdout, JsonOutput.Indented))
        {
            var s = model.Schema;
            w.WriteStartObject();
            w.WriteString("graph", s.GraphName);
            w.WriteString("producer", s.ProducerName);
            w.WriteString("description", s.Description);
            w.WriteNumber("version", s.Version);
            w.WriteStartObject("executionProvider");
            w.WriteString("requested", model.ExecutionProvider.Requested.ToString().ToLowerInvariant());
            w.WriteString("active", model.ExecutionProvider.Active.ToString().ToLowerInvariant());
            w.WriteString("fallbackReason", model.ExecutionProvider.FallbackReason);
            w.WriteEndObject();
            WriteTensors(w, "inputs", s.Inputs);
            WriteTensors(w, "outputs", s.Outputs);
            w.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, IReadOnlyList<TensorSchema> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("type", t.ElementType.ToString().ToLowerInvariant());
            if (t.Kind != EdgeValueKind.Tensor || t.IsOptional)
            {
                // Sequences, maps and optional outputs: the kind and the full ONNX type, e.g. seq(map(int64, float32)).
                w.WriteString("kind", t.Kind.ToString().ToLowerInvariant());
                w.WriteBoolean("optional", t.IsOptional);
                w.WriteString("onnxType", t.DescribeType());
            }

            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteStartArray("dimensionNames");
            foreach (var n in t.DimensionNames)
            {
                w.WriteStringValue(n);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
