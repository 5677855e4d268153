using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// ONNX Runtime's own telemetry, off. Since 1.29 the official Linux and macOS builds send usage events to Microsoft by
/// default (a persistent device id under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, an offline SQLite cache, an
/// uploader), which an offline device must not do and which costs about 24 ms of every process start. The only full
/// opt-out on those platforms is the environment variable ORT_DISABLE_TELEMETRY, read once when ONNX Runtime creates its
/// environment, so it is set in the native environment before any ONNX Runtime call. A value already set wins: an
/// operator who wants ONNX Runtime's telemetry sets ORT_DISABLE_TELEMETRY=0. Windows builds use ETW instead, which the
/// platform governs; this leaves them alone.
/// </summary>
internal static partial class OrtTelemetry
{
    /// <summary>The variable ONNX Runtime reads.</summary>
    public const string Variable = "ORT_DISABLE_TELEMETRY";

    /// <summary>Runs before any type of this assembly is used, so before any ONNX Runtime session or environment.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "ONNX Runtime reads the variable once, at its first use, which may come through any type of this assembly.")]
    internal static void OptOut()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            // .NET keeps its own copy of the environment on Unix: ONNX Runtime's getenv sees only what setenv wrote.
            _ = SetEnvironment(Variable, "1", overwrite: 0);
            if (Environment.GetEnvironmentVariable(Variable) is null)
            {
                Environment.SetEnvironmentVariable(Variable, "1"); // child processes started through .NET inherit it too
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // no libc to call (not seen on Linux or macOS): ONNX Runtime's default stands
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
