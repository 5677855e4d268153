namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// One entry of the append-only audit log: who (the operator's name and role; "operator" for the shared
/// EdgeDeploy:OperatorToken) did what (the RPC, e.g. "PauseRollout") to which target, why, when, and how it ended
/// (Outcome: "ok", or the status and message of a refusal, e.g. "PermissionDenied: ..."). Id is assigned by the store.
/// </summary>
public sealed record AuditRecord(long Id, long AtUnixMs, string Operator, string Role, string Action, string Target, string Reason, string Outcome);
