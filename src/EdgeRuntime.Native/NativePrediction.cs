using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Native;

/// <summary>A prediction kept for C callers (<c>edge_predict_values</c>), with the UTF-8 strings it has handed out (freed with it).</summary>
internal sealed class NativePrediction(Prediction prediction) : IDisposable
{
    private readonly List<IntPtr> _strings = [];

    public Prediction Prediction { get; } = prediction;

    /// <summary>The value of output <paramref name="name"/>, then <paramref name="path"/> item indexes into nested sequences.</summary>
    public EdgeValue Resolve(string name, ReadOnlySpan<int> path)
    {
        var value = Prediction.GetValue(name);
        var where = name;
        foreach (var index in path)
        {
            if (value.Kind != EdgeValueKind.Sequence)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{where}' is a {value.Kind.ToString().ToLowerInvariant()}, not a sequence: the path goes too deep.") { TensorName = name };
            }

            if (index < 0 || index >= value.Count)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Item {index} of '{where}' is outside 0..{value.Count - 1}.") { TensorName = name };
            }

            value = value.Items[index];
            where = $"{where}[{index}]";
        }

        return value;
    }

    public IntPtr Utf8(string text)
    {
        lock (_strings)
        {
            var ptr = Marshal.StringToCoTaskMemUTF8(text);
            _strings.Add(ptr);
            return ptr;
        }
    }

    public void Dispose()
    {
        lock (_strings)
        {
            foreach (var ptr in _strings)
            {
                Marshal.FreeCoTaskMem(ptr);
            }

            _strings.Clear();
        }
    }
}
