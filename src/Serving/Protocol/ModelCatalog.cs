using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Store;

namespace EdgeDeploy.Serving.Protocol;

/// <summary>The stores the server serves, found by model name (a store serves one model: its installed package's name).</summary>
internal sealed class ModelCatalog(IReadOnlyList<ModelStore> stores)
{
    public IReadOnlyList<ModelStore> Stores { get; } = stores;

    /// <summary>True when every store serves a version (and none is suspended).</summary>
    public bool AllReady => Stores.Count > 0 && Stores.All(IsReady);

    public static bool IsReady(ModelStore store) => store.ActiveVersion is not null && !store.IsServingSuspended;

    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.ModelNotFound"/> when no store serves <paramref name="name"/>.</exception>
    public ModelStore Find(string name)
    {
        foreach (var store in Stores)
        {
            if (string.Equals(store.ModelName, name, StringComparison.Ordinal) && store.ActiveVersion is not null)
            {
                return store;
            }
        }

        var names = Stores.Select(s => s.ModelName).OfType<string>().ToList();
        throw new EdgeException(EdgeErrorCode.ModelNotFound, $"No model '{name}' is served here (models: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
    }

    /// <summary>The schema of <paramref name="version"/> (null: the primary serving version).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.PackageNotFound"/> when that version does not serve.</exception>
    public static ModelSchema Schema(ModelStore store, string? version) =>
        (version is null ? store.ActiveSchema : store.ServingSchema(version))
        ?? throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Version {version} of '{store.ModelName}' is not serving (serving: {string.Join(", ", store.ServingVersions)}).");
}
