namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>One version's reported health since a point in time; its figures come from <see cref="MonitoredFigures"/>.</summary>
internal sealed record VersionHealthSummary(string Version, bool Shadow, HealthTotals Totals, bool HigherIsBetter, string MetricName)
{
    public double ErrorRate => Read(MonitoredFigures.ErrorRate);

    public double LatencyP95Ms => Read(MonitoredFigures.LatencyP95Ms);

    public double OnlineMetric => Read(MonitoredFigures.OnlineMetric);

    /// <summary>Any health figure of this version.</summary>
    public double Read(Figure figure) => figure.Of(Totals, HigherIsBetter);
}
