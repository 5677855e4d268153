using System.Text;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Architecture;

/// <summary>
/// The C ABI comes as two native AOT libraries (docs/architecture.md): libedgeruntime.so (models and the device store) and
/// libedgeagent.so (the same plus the update agent). What ILC kept is what counts, so the published files are checked:
/// libedgeruntime.so exports no edge_agent_* and carries no gRPC client code (the type name `GrpcChannel` stays in a
/// library's metadata even without stack-trace data: checked with libedgeagent.so built that way), libedgeagent.so exports both, and libedgeruntime.so stays under the 8 MB goal without ONNX Runtime.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class NativeLibraryBoundaryTests
{
    private const long SizeGoalBytes = 8_000_000;
    private readonly string _lib;

    public NativeLibraryBoundaryTests(AotArtifacts artifacts) => _lib = artifacts.RequireAgentLibrary();

    [Fact]
    public void RuntimeLibrary_NoAgentExportsNoGrpcAndUnderTheSizeGoal()
    {
        var path = Path.Combine(_lib, "libedgeruntime.so");
        var exports = DynamicSymbols(path);
        var bytes = File.ReadAllBytes(path);

        Assert.Contains("edge_store_open", exports);
        Assert.Contains("edge_predict_values", exports);
        Assert.DoesNotContain(exports, e => e.StartsWith("edge_agent_", StringComparison.Ordinal));
        Assert.False(Contains(bytes, "GrpcChannel"), "libedgeruntime.so carries the gRPC client");
        Assert.True(bytes.Length < SizeGoalBytes, $"libedgeruntime.so is {bytes.Length:N0} bytes, over the {SizeGoalBytes:N0} goal");
    }

    [Fact]
    public void AgentLibrary_ExportsTheRuntimeAndTheAgent()
    {
        var path = Path.Combine(_lib, "libedgeagent.so");
        var exports = DynamicSymbols(path);

        Assert.Contains("edge_store_open", exports);
        Assert.Contains("edge_agent_start", exports);
        Assert.Contains("edge_agent_stop", exports);
        Assert.True(Contains(File.ReadAllBytes(path), "GrpcChannel"));
        Assert.True(File.Exists(Path.Combine(_lib, "include", "edgeagent.h")));
        Assert.Empty(DynamicSymbols(Path.Combine(_lib, "libedgeruntime.so")).Except(exports));
    }

    private static HashSet<string> DynamicSymbols(string path)
    {
        var nm = ProcessRunner.Run("nm", ["-D", "--defined-only", path], TimeSpan.FromMinutes(1));
        Assert.True(nm.ExitCode == 0, nm.All);
        // Exports carry the version script's node (edge_store_open@@V1.0): compare the names.
        return [.. nm.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[^1].Trim().Split('@')[0]).Where(n => n.StartsWith("edge_", StringComparison.Ordinal))];
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
