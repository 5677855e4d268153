using System.Globalization;

/// <summary>Command-line options and the repository root, shared by the benchmark harnesses (linked into each).</summary>
internal static class BenchArgs
{
    /// <summary>True when <paramref name="name"/> is on the command line.</summary>
    public static bool Has(string name) => Environment.GetCommandLineArgs().Contains(name);

    /// <summary>The value after <paramref name="name"/>, or null.</summary>
    public static string? String(string name)
    {
        var args = Environment.GetCommandLineArgs();
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The integer after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static int Int(string name, int fallback) => String(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The repository root: the first folder above the harness holding EdgeDeploy.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeDeploy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the EdgeDeploy repository.");
    }
}
