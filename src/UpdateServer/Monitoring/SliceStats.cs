using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>One model-card slice: what the card says and its served outcomes per query window and in total.</summary>
internal sealed record SliceStats(SliceMetrics Card, IReadOnlyList<SliceOutcomes> Windows, SliceOutcomes Total);
