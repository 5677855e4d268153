namespace EdgeDeploy.Runtime.Agent;

/// <summary>What one check-in cycle did.</summary>
/// <param name="Assigned">Versions the server assigned to this device.</param>
/// <param name="Installed">Versions installed and activated in this cycle.</param>
/// <param name="Failed">Versions that failed verification, the gate or the download, with the reason.</param>
/// <param name="Incomplete">Downloads stopped before completion (resumed next cycle).</param>
/// <param name="Serving">The version serving after the cycle, or null.</param>
/// <param name="Shadow">The version running in shadow after the cycle, or null.</param>
public sealed record AgentCycle(IReadOnlyList<string> Assigned, IReadOnlyList<string> Installed, IReadOnlyList<string> Failed, IReadOnlyList<string> Incomplete, string? Serving = null, string? Shadow = null);
