namespace EdgeDeploy.Runtime.Agent;

/// <summary>What the agent keeps across restarts (agent.json, owner-only: it holds the device credential).</summary>
internal sealed class AgentState
{
    public string? DeviceToken { get; set; }

    public long? LastContactUnixMs { get; set; }

    /// <summary>Issue time of the newest signed assignment accepted; an older one is refused as a replay.</summary>
    public long? LastAssignmentIssuedUnixMs { get; set; }

    /// <summary>"rollout/version" install outcomes the server has acknowledged.</summary>
    public HashSet<string> Reported { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Package hashes that failed verification or the gate here, with the reason.</summary>
    public Dictionary<string, string> Rejected { get; init; } = new(StringComparer.Ordinal);
}
