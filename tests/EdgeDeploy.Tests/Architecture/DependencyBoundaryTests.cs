using System.Reflection;
using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Architecture;

/// <summary>
/// The project split is only worth something if it holds: an app that predicts offline and verifies packages pulls in
/// no gRPC, SQLite or ASP.NET Core, and the server verifies packages without ONNX Runtime. Checked two ways: the
/// assemblies our IL really references (transitively), and the packages each library's deps.json brings along.
/// The C ABI's split (libedgeruntime.so without the agent's gRPC stack, libedgeagent.so with it) is what ILC kept, so
/// <see cref="NativeLibraryBoundaryTests"/> checks it on the published libraries.
/// </summary>
public sealed class DependencyBoundaryTests
{
    private static readonly string[] FleetOnly = ["Grpc.", "Microsoft.Data.Sqlite", "SQLitePCLRaw", "Microsoft.AspNetCore", "EdgeDeploy.Protos", "EdgeDeploy.Device"];

    [Theory]
    [InlineData("EdgeDeploy.Abstractions")]
    [InlineData("EdgeDeploy.Runtime")]
    [InlineData("EdgeDeploy.Packaging")]
    [InlineData("EdgeDeploy.Authoring")]
    public void OfflineLibraries_ReferenceClosure_HasNoGrpcSqliteOrAspNet(string assembly)
    {
        var closure = ReferenceClosure(assembly);

        Assert.Contains(assembly, closure);
        Assert.DoesNotContain(closure, name => FleetOnly.Any(name.StartsWith));
    }

    [Theory]
    [InlineData("src/Abstractions", "EdgeDeploy.Abstractions")]
    [InlineData("src/EdgeRuntime", "EdgeDeploy.Runtime")]
    [InlineData("src/Packaging", "EdgeDeploy.Packaging")]
    [InlineData("src/Authoring", "EdgeDeploy.Authoring")]
    public void OfflineLibraries_PackageClosure_HasNoGrpcSqliteOrAspNet(string project, string assembly)
    {
        var packages = DepsPackages(project, assembly);

        Assert.NotEmpty(packages);
        Assert.DoesNotContain(packages, name => FleetOnly.Any(name.StartsWith));
    }

    [Fact]
    public void RuntimeCore_ReferenceClosure_IsOnnxRuntimeOnly()
    {
        var thirdParty = ReferenceClosure("EdgeDeploy.Runtime")
            .Where(n => !n.StartsWith("System", StringComparison.Ordinal) && n is not "netstandard" and not "mscorlib" && !n.StartsWith("EdgeDeploy.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();

        // Logging.Abstractions (and what it needs) is the one non-ORT dependency: the load and fallback reports.
        Assert.All(thirdParty, n => Assert.True(n.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) || n.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal), n));
        Assert.Contains("Microsoft.ML.OnnxRuntime", thirdParty);
        Assert.DoesNotContain(ReferenceClosure("EdgeDeploy.Runtime"), n => n is "MessagePack" or "Semver" or "EdgeDeploy.Packaging");
    }

    [Fact]
    public void UpdateServer_Closure_HasNoOnnxRuntime()
    {
        Assert.DoesNotContain(ReferenceClosure("EdgeDeploy.UpdateServer"), n => n.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) || n == "EdgeDeploy.Runtime");
        Assert.DoesNotContain(DepsPackages("src/UpdateServer", "EdgeDeploy.UpdateServer"), n => n.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal) || n == "EdgeDeploy.Runtime");

        // Nothing in the server's build output could load it either: no managed wrapper, no native library.
        var output = Path.Combine(Repo.Root, "src/UpdateServer/bin/Release/net10.0");
        Assert.True(Directory.Exists(output), $"build the solution in Release first ({output})");
        Assert.DoesNotContain(Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).Contains("onnxruntime", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// ASP.NET Core (Kestrel, Grpc.AspNetCore) is `edge serve`'s alone: the device libraries an app embeds, and
    /// libedgeruntime.so, stay without it; only EdgeDeploy.Serving (and the CLI and server above it) carry it. Checked in
    /// NuGet's resolved graph (project.assets.json), framework references included, so a transitive one fails too.
    /// </summary>
    [Theory]
    [InlineData("src/Device", false)]
    [InlineData("src/EdgeRuntime.Hosting", false)]
    [InlineData("src/EdgeRuntime.Native", false)]
    [InlineData("src/Serving", true)]
    [InlineData("src/Edge.Cli", true)]
    public void AspNetCore_OnlyInServingAndCli(string project, bool allowed)
    {
        var (libraries, frameworks) = Assets(project);
        var aspNet = libraries.Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal) || n == "EdgeDeploy.Serving")
            .Concat(frameworks.Where(f => f == "Microsoft.AspNetCore.App"))
            .ToList();

        Assert.NotEmpty(libraries);
        if (allowed)
        {
            Assert.Contains("Microsoft.AspNetCore.App", frameworks);
        }
        else
        {
            Assert.Empty(aspNet);
        }
    }

    [Fact]
    public void DeviceLibraries_ReferenceClosure_HaveNoAspNetCore()
    {
        foreach (var assembly in new[] { "EdgeDeploy.Device", "EdgeDeploy.Runtime.Hosting" })
        {
            Assert.DoesNotContain(ReferenceClosure(assembly), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("Grpc.AspNetCore", StringComparison.Ordinal) || n == "EdgeDeploy.Serving");
        }

        Assert.Contains(ReferenceClosure("EdgeDeploy.Serving"), n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    /// <summary>Library names and framework references (own and transitive) in a project's restored graph.</summary>
    private static (string[] Libraries, string[] Frameworks) Assets(string project)
    {
        var path = Path.Combine(Repo.Root, project, "obj/project.assets.json");
        Assert.True(File.Exists(path), $"restore the solution first ({path})");
        using var assets = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = assets.RootElement;
        var libraries = root.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToArray();
        var frameworks = root.GetProperty("project").GetProperty("frameworks").EnumerateObject()
            .SelectMany(f => f.Value.TryGetProperty("frameworkReferences", out var refs) ? refs.EnumerateObject().Select(r => r.Name) : [])
            .Concat(root.GetProperty("targets").EnumerateObject().SelectMany(t => t.Value.EnumerateObject())
                .SelectMany(l => l.Value.TryGetProperty("frameworkReferences", out var refs) ? refs.EnumerateArray().Select(r => r.GetString()!) : []))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        return (libraries, frameworks);
    }

    /// <summary>Names of every assembly reachable through IL references from <paramref name="root"/>.</summary>
    private static SortedSet<string> ReferenceClosure(string root)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var queue = new Queue<AssemblyName>([new AssemblyName(root)]);
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            if (!seen.Add(name.Name!) || name.Name!.StartsWith("System", StringComparison.Ordinal))
            {
                continue;
            }

            Assembly assembly;
            try
            {
                assembly = Assembly.Load(name);
            }
            catch (FileNotFoundException)
            {
                continue; // a framework facade the test host does not carry: still recorded by name above
            }

            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                queue.Enqueue(reference);
            }
        }

        return seen;
    }

    /// <summary>Package and project names in a project's deps.json (its full dependency graph as NuGet resolved it).</summary>
    private static string[] DepsPackages(string project, string assembly)
    {
        var path = Path.Combine(Repo.Root, project, "bin/Release/net10.0", assembly + ".deps.json");
        Assert.True(File.Exists(path), $"build the solution in Release first ({path})");
        using var deps = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. deps.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0])];
    }
}
