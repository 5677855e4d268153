namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Which audit entries to read: at or after SinceUnixMs, only one operator's or one target's when Operator or Target is
/// not empty, at most Limit of them, newest first.
/// </summary>
public sealed record AuditQuery(long SinceUnixMs, string Operator, string Target, int Limit);
