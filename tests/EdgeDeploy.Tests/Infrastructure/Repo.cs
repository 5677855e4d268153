namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>Paths inside the repository the tests run from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Models => Path.Combine(Root, "models");

    public static string Model(string fileName) => Path.Combine(Models, fileName);

    /// <summary>A gitignored scratch folder under artifacts/ for things tests build or fetch.</summary>
    public static string Artifacts(string name)
    {
        var path = Path.Combine(Root, "artifacts", name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeDeploy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EdgeDeploy.sln not found above " + AppContext.BaseDirectory);
    }
}
