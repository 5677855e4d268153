namespace EdgeDeploy.Runtime.Store;

/// <summary>What serves right now: replaced as a whole, so readers always see a consistent set.</summary>
internal sealed class ServingSet
{
    private readonly double[] _cumulative;

    public ServingSet(LoadedVersion primary, IReadOnlyList<(LoadedVersion Version, double Weight)> routes)
    {
        Primary = primary;
        Routes = routes;
        _cumulative = new double[routes.Count];
        double total = 0;
        for (var i = 0; i < routes.Count; i++)
        {
            total += routes[i].Weight;
            _cumulative[i] = total;
        }
    }

    public LoadedVersion Primary { get; }

    public IReadOnlyList<(LoadedVersion Version, double Weight)> Routes { get; }

    /// <summary>The serving version called <paramref name="version"/> (the primary or a routed one), or null.</summary>
    public LoadedVersion? Find(string version)
    {
        if (Primary.Version == version)
        {
            return Primary;
        }

        foreach (var (loaded, _) in Routes)
        {
            if (loaded.Version == version)
            {
                return loaded;
            }
        }

        return null;
    }

    public LoadedVersion Choose()
    {
        if (Routes.Count == 0)
        {
            return Primary;
        }

        var pick = Random.Shared.NextDouble() * _cumulative[^1];
        for (var i = 0; i < _cumulative.Length; i++)
        {
            if (pick < _cumulative[i])
            {
                return Routes[i].Version;
            }
        }

        return Routes[^1].Version;
    }
}
