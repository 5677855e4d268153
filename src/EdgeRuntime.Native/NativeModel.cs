using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Native;

/// <summary>A model opened through the C ABI, with the UTF-8 names it has handed out (freed on close).</summary>
internal sealed class NativeModel(EdgeModel model) : IDisposable
{
    private readonly Dictionary<string, IntPtr> _names = new(StringComparer.Ordinal);

    public EdgeModel Model { get; } = model;

    public IntPtr Name(string name)
    {
        lock (_names)
        {
            if (!_names.TryGetValue(name, out var ptr))
            {
                _names[name] = ptr = Marshal.StringToCoTaskMemUTF8(name);
            }

            return ptr;
        }
    }

    public void Dispose()
    {
        Model.Dispose();
        lock (_names)
        {
            foreach (var ptr in _names.Values)
            {
                Marshal.FreeCoTaskMem(ptr);
            }

            _names.Clear();
        }
    }
}
