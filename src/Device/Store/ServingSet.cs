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
