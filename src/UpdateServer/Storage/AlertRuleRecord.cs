namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A threshold on one metric of a model's versions over a trailing window (see the AlertRule proto message).</summary>
public sealed record AlertRuleRecord(string Id, string Model, string Version, string Metric, string Feature, bool Below, double Threshold, int WindowSeconds, long MinSamples);
