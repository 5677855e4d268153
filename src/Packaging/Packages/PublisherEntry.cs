namespace EdgeDeploy.Runtime.Packages;

internal sealed class PublisherEntry
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> KeyIds { get; init; }

    public required int Threshold { get; init; }

    /// <summary>Model-name patterns ('*' matches any run of characters); empty means every model.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    public bool Covers(string modelName)
    {
        if (Models.Count == 0)
        {
            return true;
        }

        foreach (var pattern in Models)
        {
            if (Glob.IsMatch(pattern, modelName))
            {
                return true;
            }
        }

        return false;
    }
}
