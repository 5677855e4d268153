namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>The wire and storage names of <see cref="RolloutState"/> (the Rollout message's state string).</summary>
public static class RolloutStates
{
    private static readonly Dictionary<RolloutState, string> Names = new()
    {
        [RolloutState.Active] = "active",
        [RolloutState.Paused] = "paused",
        [RolloutState.Completed] = "completed",
        [RolloutState.RolledBack] = "rolled_back",
    };

    private static readonly Dictionary<string, RolloutState> ByName = Names.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    /// <summary>"active", "paused", "completed" or "rolled_back".</summary>
    public static string Name(this RolloutState state) => Names[state];

    /// <summary>The state a stored name stands for.</summary>
    /// <exception cref="FormatException">The name is none of the four.</exception>
    public static RolloutState Parse(string name) =>
        ByName.TryGetValue(name, out var state) ? state : throw new FormatException($"Unknown rollout state '{name}'.");
}
