namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>One window of a version's stats: its telemetry summary and its reported health.</summary>
internal sealed record StatsWindow(long FromUnixMs, long UntilUnixMs, VersionWindowSummary Telemetry, VersionHealthSummary Health)
{
    /// <summary>The k of the version's top-k figure (see <see cref="EvidenceFigures.TopK"/>).</summary>
    public int TopK { get; init; } = 1;

    /// <summary>The window's mAP; null when the version's manifest declares no mAP metric.</summary>
    public DetectionEvidence? Detections { get; init; }

    /// <summary>The evidence figures' input (top-k, CER/WER), for <see cref="MonitoredFigures"/>.</summary>
    public FigureInput EvidenceInput => new(true) { Evidence = new EvidenceFigures(Telemetry.Evidence, TopK), Detections = Detections };
}
