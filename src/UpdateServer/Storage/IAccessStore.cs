namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Who may do what: operator credentials, enrolment tokens, the audit log and device credential administration. Part
/// of <see cref="IUpdateStore"/> (same database, same migrations); kept apart so the access rules read in one place.
/// </summary>
public interface IAccessStore
{
    /// <summary>Adds an operator; false when one with that name exists already (revoked ones included: names are not reused).</summary>
    Task<bool> TryAddOperatorAsync(OperatorRecord op, CancellationToken cancellationToken);

    /// <summary>The operator holding this credential hash (revoked ones included), or null.</summary>
    Task<OperatorRecord?> FindOperatorByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Every operator, by name.</summary>
    Task<IReadOnlyList<OperatorRecord>> ListOperatorsAsync(CancellationToken cancellationToken);

    /// <summary>Revokes an operator's credential; false when there is no such operator or it is revoked already.</summary>
    Task<bool> RevokeOperatorAsync(string name, long atUnixMs, CancellationToken cancellationToken);

    /// <summary>Appends an entry to the audit log (entries are never changed or deleted through this interface).</summary>
    Task AppendAuditAsync(AuditRecord entry, CancellationToken cancellationToken);

    /// <summary>Audit entries matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<AuditRecord>> ListAuditAsync(AuditQuery query, CancellationToken cancellationToken);

    Task AddEnrollmentTokenAsync(EnrollmentTokenRecord token, CancellationToken cancellationToken);

    /// <summary>Every enrolment token, oldest first.</summary>
    Task<IReadOnlyList<EnrollmentTokenRecord>> ListEnrollmentTokensAsync(CancellationToken cancellationToken);

    /// <summary>Revokes a token; false when there is no such token or it is revoked already.</summary>
    Task<bool> RevokeEnrollmentTokenAsync(string id, long atUnixMs, CancellationToken cancellationToken);

    /// <summary>
    /// Counts one use of the token with this hash for <paramref name="deviceId"/> if it is valid at
    /// <paramref name="nowUnixMs"/>: in one atomic step, so concurrent registrations never exceed its uses.
    /// </summary>
    Task<EnrollmentUse> TryUseEnrollmentTokenAsync(string tokenHash, string deviceId, long nowUnixMs, CancellationToken cancellationToken);

    /// <summary>Deletes a device and what it reported as installed; false when there is no such device.</summary>
    Task<bool> DeleteDeviceAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>Marks a device for credential rotation at its next check-in (idempotent).</summary>
    Task AddPendingRotationAsync(string deviceId, long atUnixMs, CancellationToken cancellationToken);

    /// <summary>Clears a pending rotation (delivered, or the device was removed).</summary>
    Task RemovePendingRotationAsync(string deviceId, CancellationToken cancellationToken);

    /// <summary>Devices with a rotation pending.</summary>
    Task<IReadOnlyList<string>> ListPendingRotationsAsync(CancellationToken cancellationToken);

    /// <summary>Queues a device for an admin's approval; false when that id is queued already.</summary>
    Task<bool> TryAddPendingDeviceAsync(PendingDeviceRecord device, CancellationToken cancellationToken);

    /// <summary>Devices waiting for approval, oldest first.</summary>
    Task<IReadOnlyList<PendingDeviceRecord>> ListPendingDevicesAsync(CancellationToken cancellationToken);

    /// <summary>The waiting device holding this credential hash, or null.</summary>
    Task<PendingDeviceRecord?> FindPendingDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Removes a waiting device from the queue and returns it (exactly one caller gets it); null when it is not queued.</summary>
    Task<PendingDeviceRecord?> TakePendingDeviceAsync(string deviceId, CancellationToken cancellationToken);
}
