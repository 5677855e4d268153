using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

// rawort-predict MODEL JSON: float inputs as {"name": {"shape": [...], "data": [...]}}, float outputs printed as JSON.
// What `edge predict MODEL -i JSON` does for one line, with nothing of EdgeDeploy: the cold-start baseline.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: rawort-predict MODEL JSON");
    return 2;
}

using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
using var session = new InferenceSession(args[0], options);
using var doc = JsonDocument.Parse(args[1]);
var names = new List<string>();
var values = new List<OrtValue>();
foreach (var input in doc.RootElement.EnumerateObject())
{
    var shape = input.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
    var data = input.Value.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
    names.Add(input.Name);
    values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
}

using var runOptions = new RunOptions();
using var outputs = session.Run(runOptions, names, values, session.OutputNames);
using var stdout = Console.OpenStandardOutput();
using (var writer = new Utf8JsonWriter(stdout))
{
    writer.WriteStartObject();
    for (var i = 0; i < outputs.Count; i++)
    {
        var value = outputs[i];
        var info = value.GetTensorTypeAndShape();
        writer.WriteStartObject(session.OutputNames[i]);
        writer.WriteStartArray("shape");
        foreach (var d in info.Shape)
        {
            writer.WriteNumberValue(d);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("data");
        if (info.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
        {
            foreach (var x in value.GetTensorDataAsSpan<float>())
            {
                writer.WriteNumberValue(x);
            }
        }
        else if (info.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64)
        {
            foreach (var x in value.GetTensorDataAsSpan<long>())
            {
                writer.WriteNumberValue(x);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    writer.WriteEndObject();
}

stdout.WriteByte((byte)'\n');
foreach (var v in values)
{
    v.Dispose();
}

return 0;
