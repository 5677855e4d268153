using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>Appends audit entries; a failure to write one is logged and never hides the call's own outcome.</summary>
internal sealed class AuditLog(IUpdateStore store, TimeProvider time, ILogger<AuditLog> logger)
{
    /// <summary>Longest reason kept (characters); the rest is cut.</summary>
    public const int MaxReasonLength = 1024;

    public async Task RecordAsync(OperatorIdentity op, string action, string target, string reason, string outcome, CancellationToken cancellationToken)
    {
        var entry = new AuditRecord(0, time.GetUtcNow().ToUnixTimeMilliseconds(), op.Name, op.Role.Name(), action, Printable(target, 512), Printable(reason, MaxReasonLength), Printable(outcome, 2048));
        try
        {
            await store.AppendAuditAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ServerLog.AuditWriteFailed(logger, op.Name, action, target, ex.Message);
        }

        ServerLog.Audited(logger, op.Name, action, entry.Target, entry.Outcome);
    }

    public static string Outcome(RpcException ex) => $"{ex.StatusCode}: {ex.Status.Detail}";

    /// <summary>Control characters become '?', so an entry is one line in every view; long text is cut.</summary>
    private static string Printable(string text, int max)
    {
        var cut = text.Length > max ? text[..max] : text;
        return string.Create(cut.Length, cut, (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}
