namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>One window of a version's stats: its telemetry summary and its reported health.</summary>
internal sealed record StatsWindow(long FromUnixMs, long UntilUnixMs, VersionWindowSummary Telemetry, VersionHealthSummary Health);
