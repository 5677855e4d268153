using System.Collections.Concurrent;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>Signed answers per device, reused while nothing changed (same planner snapshot) and the answer is young.</summary>
internal sealed class SignedAssignmentCache
{
    public ConcurrentDictionary<string, SignedAssignment> ByDevice { get; } = new(StringComparer.Ordinal);
}
