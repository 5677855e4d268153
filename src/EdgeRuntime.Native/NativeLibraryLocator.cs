using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Native;

/// <summary>
/// In libedgeruntime.so, ONNX Runtime's and SQLite's native libraries sit next to our own; the default search looks beside the host
/// executable instead (a C or Python program elsewhere). This resolver looks in our library's directory first.
/// Only the C ABI installs it; .NET hosts keep the normal NuGet resolution.
/// </summary>
internal static unsafe class NativeLibraryLocator
{
    private static int s_installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 1 || !OperatingSystem.IsLinux())
        {
            return;
        }

        var directory = OwnDirectory();
        if (directory is null)
        {
            return;
        }

        IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
        {
            foreach (var candidate in new[] { $"lib{name}.so", $"{name}.so", name })
            {
                if (NativeLibrary.TryLoad(Path.Combine(directory, candidate), out var handle))
                {
                    return handle;
                }
            }

            return NativeLibrary.TryLoad(name, assembly, searchPath, out var fallback) ? fallback : IntPtr.Zero;
        }

        NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, Resolve);

        // SQLite (the telemetry outbox edge_store_open's telemetry_db opens) sits beside us too: libe_sqlite3.so.
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // the provider set its own resolver: it then finds the library itself
        }
    }

    /// <summary>The directory of the shared object that contains this code (dladdr on one of our exports).</summary>
    private static string? OwnDirectory()
    {
        try
        {
            delegate* unmanaged<byte*> export = &NativeExports.Version;
            DlInfo info;
            return Dladdr((IntPtr)export, &info) != 0 && info.FileName != IntPtr.Zero
                ? Path.GetDirectoryName(Marshal.PtrToStringUTF8(info.FileName))
                : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "dladdr")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Dladdr(IntPtr address, DlInfo* info);

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName;
        public IntPtr FileBase;
        public IntPtr SymbolName;
        public IntPtr SymbolAddress;
    }
}
