using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>The strategies the server knows, found by their <see cref="RolloutStrategy"/> value.</summary>
internal sealed partial class RolloutStrategies
{
    private readonly Dictionary<RolloutStrategy, IRolloutStrategy> _byKind;

    public RolloutStrategies(IEnumerable<IRolloutStrategy> strategies)
    {
        _byKind = strategies.ToDictionary(s => s.Kind);
        var names = _byKind.Keys.Order().Select(k => UpperSnake().Replace(k.ToString(), "_$1").ToUpperInvariant());
        Known = $"strategy must be one of {string.Join(", ", names)}.";
    }

    /// <summary>The message for an unknown strategy, naming the known ones as the proto does (ALL_AT_ONCE, ...).</summary>
    public string Known { get; }

    /// <summary>The strategy for <paramref name="kind"/>, or null when the server has none (unspecified, unknown).</summary>
    public IRolloutStrategy? Find(RolloutStrategy kind) => _byKind.GetValueOrDefault(kind);

    /// <summary>The strategy of a stored rollout (stored rollouts were validated, so it exists).</summary>
    public IRolloutStrategy Of(RolloutRecord rollout) => _byKind[rollout.Strategy];

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex UpperSnake();
}
