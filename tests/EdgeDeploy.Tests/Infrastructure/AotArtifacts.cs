namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// Publishes the `edge` CLI and the AOT smoke program with native AOT, once per test run and one after the other
/// (both restore EdgeRuntime, so they must not run concurrently). TreatWarningsAsErrors turns any trim/AOT warning into a failed publish.
/// </summary>
public sealed class AotArtifacts
{
    public AotArtifacts()
    {
        Cli = Publish("src/Edge.Cli/Edge.Cli.csproj", "edge");
        Smoke = Publish("tests/AotSmoke/AotSmoke.csproj", "smoke");
        NativeLibrary = Publish("src/EdgeRuntime.Native/EdgeRuntime.Native.csproj", "native");

        // libedgeagent.so (the same C ABI plus the update agent) beside it, sharing ONNX Runtime and the headers.
        AgentLibrary = Publish("src/EdgeAgent.Native/EdgeAgent.Native.csproj", "native");
        SmokeRsp = ReadRsp("tests/AotSmoke", "aot-smoke");
        CliRsp = ReadRsp("src/Edge.Cli", "edge");

        // Last, as it leaves the smoke project's ILC output in a failed state.
        Canary = Publish("tests/AotSmoke/AotSmoke.csproj", "canary", "-p:EdgeAotCanary=true");
    }

    public PublishResult Canary { get; }

    /// <summary>The published `edge` binary; fails the calling test with the publish log when publishing failed.</summary>
    public string RequireEdge()
    {
        Assert.True(Cli.Process.ExitCode == 0, Cli.Process.All);
        return Cli.Executable("edge");
    }

    /// <summary>libedgeruntime.so (with include/edgeruntime.h and ONNX Runtime beside it).</summary>
    public PublishResult NativeLibrary { get; }

    /// <summary>The directory holding libedgeruntime.so; fails the calling test with the publish log when publishing failed.</summary>
    public string RequireNativeLibrary()
    {
        Assert.True(NativeLibrary.Process.ExitCode == 0, NativeLibrary.Process.All);
        return NativeLibrary.Directory;
    }

    /// <summary>libedgeagent.so (with include/edgeagent.h), published into <see cref="NativeLibrary"/>'s directory.</summary>
    public PublishResult AgentLibrary { get; }

    /// <summary>The directory holding libedgeruntime.so and libedgeagent.so; fails the calling test when either publish failed.</summary>
    public string RequireAgentLibrary()
    {
        Assert.True(AgentLibrary.Process.ExitCode == 0, AgentLibrary.Process.All);
        return RequireNativeLibrary();
    }

    /// <summary>The ILC response files, to check which assemblies report warnings in detail.</summary>
    public string SmokeRsp { get; }

    public string CliRsp { get; }

    public PublishResult Cli { get; }

    public PublishResult Smoke { get; }

    private static string ReadRsp(string projectDir, string assembly) =>
        File.ReadAllText(Path.Combine(Repo.Root, projectDir, "obj", "Release", "net10.0", "linux-x64", "native", assembly + ".ilc.rsp"));

    private static PublishResult Publish(string project, string name, params string[] extra)
    {
        var output = Path.Combine(Repo.Artifacts("aot"), name);

        // ILC only reports trim/AOT warnings when it runs: drop its incremental output so every test run re-analyses.
        var native = Path.Combine(Repo.Root, Path.GetDirectoryName(project)!, "obj", "Release", "net10.0", "linux-x64", "native");
        if (Directory.Exists(native))
        {
            Directory.Delete(native, recursive: true);
        }

        var result = ProcessRunner.Run(
            "dotnet",
            ["publish", Path.Combine(Repo.Root, project), "-c", "Release", "-o", output, "-nologo", "-clp:NoSummary", .. extra],
            TimeSpan.FromMinutes(10));
        return new PublishResult(result, output);
    }
}

public sealed record PublishResult(ProcessResult Process, string Directory)
{
    public string Executable(string name) => Path.Combine(Directory, name);
}

[CollectionDefinition(Name)]
public sealed class AotCollection : ICollectionFixture<AotArtifacts>
{
    public const string Name = "native AOT artifacts";
}
