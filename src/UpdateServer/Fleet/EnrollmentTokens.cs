using System.Security.Cryptography;
using EdgeDeploy.UpdateServer.Api;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Enrolment an operator controls: tokens an admin issues, limited in uses, time and/or to one device id, stored only
/// hashed and revocable; beside them the shared EdgeDeploy:EnrollmentToken (for the embedded demo and small fleets).
/// </summary>
internal sealed class EnrollmentTokens(IUpdateStore store, Auth auth, TimeProvider time)
{
    /// <summary>Longest description accepted (characters).</summary>
    public const int MaxDescriptionLength = 256;

    /// <summary>Issues a token; the secret is in the answer only.</summary>
    /// <exception cref="RejectedException">Negative limits, or a description or device id out of bounds.</exception>
    public async Task<(EnrollmentTokenRecord Record, string Token)> CreateAsync(string description, int maxUses, long ttlSeconds, string deviceId, string createdBy, UpdateServerOptions options, CancellationToken cancellationToken)
    {
        if (maxUses < 0 || ttlSeconds < 0 || ttlSeconds > 10L * 365 * 24 * 3600)
        {
            throw RejectedException.Invalid("max_uses must be at least 0 (0: unlimited) and ttl_seconds between 0 (never expires) and ten years.");
        }

        if (description.Length > MaxDescriptionLength || description.Any(char.IsControl))
        {
            throw RejectedException.Invalid($"The description may hold at most {MaxDescriptionLength} printable characters.");
        }

        if (deviceId.Length > 0 && DeviceIdentityRules.InvalidId(deviceId, options) is { } badId)
        {
            throw RejectedException.Invalid(badId + ".");
        }

        var now = time.GetUtcNow();
        var token = "enr_" + Auth.NewDeviceToken();
        var record = new EnrollmentTokenRecord(
            "et-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Auth.HashToken(token),
            description,
            deviceId,
            maxUses,
            0,
            ttlSeconds == 0 ? 0 : (now + TimeSpan.FromSeconds(ttlSeconds)).ToUnixTimeMilliseconds(),
            createdBy,
            now.ToUnixTimeMilliseconds(),
            null);
        await store.AddEnrollmentTokenAsync(record, cancellationToken).ConfigureAwait(false);
        return (record, token);
    }

    public Task<IReadOnlyList<EnrollmentTokenRecord>> ListAsync(CancellationToken cancellationToken) => store.ListEnrollmentTokensAsync(cancellationToken);

    /// <exception cref="RejectedException">No such token, or it is revoked already.</exception>
    public async Task<EnrollmentTokenRecord> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        if (!await store.RevokeEnrollmentTokenAsync(id, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false))
        {
            throw RejectedException.NotFound($"No valid enrollment token '{id}' (unknown, or revoked already).");
        }

        return (await store.ListEnrollmentTokensAsync(cancellationToken).ConfigureAwait(false)).Single(t => t.Id == id);
    }

    /// <summary>Accepts <paramref name="token"/> for registering <paramref name="deviceId"/>, counting one use of an issued token.</summary>
    /// <exception cref="RpcException">Unauthenticated for an unknown token; PermissionDenied for a revoked or expired one,
    /// or one bound to another device; ResourceExhausted when its uses are spent.</exception>
    public async Task UseAsync(string token, string deviceId, CancellationToken cancellationToken)
    {
        if (auth.IsEnrollmentToken(token))
        {
            return;
        }

        var use = token.Length == 0
            ? EnrollmentUse.Unknown
            : await store.TryUseEnrollmentTokenAsync(Auth.HashToken(token), deviceId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        if (use == EnrollmentUse.Accepted)
        {
            return;
        }

        throw use switch
        {
            EnrollmentUse.Revoked => Refuse(StatusCode.PermissionDenied, "The enrollment token was revoked; ask an admin for a new one (edge enrol create)."),
            EnrollmentUse.Expired => Refuse(StatusCode.PermissionDenied, "The enrollment token has expired; ask an admin for a new one (edge enrol create)."),
            EnrollmentUse.OtherDevice => Refuse(StatusCode.PermissionDenied, $"The enrollment token is issued for another device, not {deviceId}."),
            EnrollmentUse.Exhausted => Refuse(StatusCode.ResourceExhausted, "The enrollment token has no uses left; ask an admin for a new one (edge enrol create)."),
            _ => Refuse(StatusCode.Unauthenticated, "Invalid enrollment token."),
        };

        static RpcException Refuse(StatusCode code, string message) => new(new Status(code, message));
    }
}
