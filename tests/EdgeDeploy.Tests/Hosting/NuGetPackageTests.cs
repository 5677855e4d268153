using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Hosting;

/// <summary>
/// The library as a consumer gets it: packs EdgeDeploy.Runtime.Hosting and the libraries it depends on into a
/// local feed, then builds and runs a separate app that references the Hosting package, calls AddEdgeRuntime, installs a
/// signed package and predicts. A per-run prerelease version keeps the global package cache from serving an old build.
/// </summary>
[Collection(AotCollection.Name)] // builds in child processes: serialised with the other tests that build
public sealed class NuGetPackageTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void PackedLibrary_ConsumedFromALocalFeed_RegistersWithDiAndPredicts()
    {
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = _temp.File("feed");
        foreach (var project in new[] { "src/Protos", "src/Abstractions", "src/EdgeRuntime", "src/Packaging", "src/Device", "src/EdgeRuntime.Hosting" })
        {
            var pack = ProcessRunner.Run("dotnet", ["pack", Path.Combine(Repo.Root, project), "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo"], TimeSpan.FromMinutes(5));
            Assert.True(pack.ExitCode == 0, pack.All);
        }

        string[] ids = ["EdgeDeploy.Abstractions", "EdgeDeploy.Device", "EdgeDeploy.Packaging", "EdgeDeploy.Protos", "EdgeDeploy.Runtime", "EdgeDeploy.Runtime.Hosting"];
        Assert.Equal(ids.Select(id => $"{id}.{version}.nupkg"), Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(ids.Select(id => $"{id}.{version}.snupkg"), Directory.GetFiles(feed, "*.snupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal)); // symbols beside each

        // What nuget.org shows a consumer: license, readme and the repository commit (SourceLink) in every package.
        foreach (var id in ids)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
            using var reader = new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open());
            var nuspec = reader.ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
            Assert.Contains("<readme>README.md</readme>", nuspec);
            Assert.Contains("<repository type=\"git\" url=", nuspec);
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.NotNull(zip.GetEntry("LICENSE"));
        }

        var app = _temp.File("app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration><packageSources><add key="edgedeploy-local" value="{feed}" /></packageSources></configuration>
            """);
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EdgeDeploy.Runtime.Hosting" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.15" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using EdgeDeploy.Runtime;
            using EdgeDeploy.Runtime.Hosting;
            using EdgeDeploy.Runtime.Store;
            using Microsoft.Extensions.DependencyInjection;

            using var services = new ServiceCollection()
                .AddEdgeRuntime(o => { o.TrustDirectory = args[0]; o.StoreDirectory = args[1]; o.ExecutionProvider = ExecutionProviderKind.Cpu; })
                .BuildServiceProvider();
            var store = services.GetRequiredService<ModelStore>();
            Console.WriteLine(store.Install(args[2]).Outcome);
            var served = store.Predict(new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create(new[] { 6.7f, 3.0f, 5.2f, 2.3f }, new long[] { 1, 4 }) });
            Console.WriteLine($"{served.Version} label {served.Prediction["label"].AsSpan<long>()[0]}");
            """);
        var trust = _temp.File("trust");
        SampleTrust.Create(trust);

        var run = ProcessRunner.Run("dotnet", ["run", "--project", app, "-c", "Release", "--", trust, _temp.File("store"), Repo.Model("iris_classifier.edgepkg")], TimeSpan.FromMinutes(5), workingDirectory: app);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal("Activated\n1.0.0 label 2\n", run.StdOut.ReplaceLineEndings("\n"));
    }
}
