using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Operators;
using EdgeDeploy.UpdateServer.Security;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// Bearer-token checks. Operators hold named credentials with a role (issued by an admin, stored hashed) or the shared
/// EdgeDeploy:OperatorToken (an admin credential named "operator"); every operator RPC declares its least role in
/// <see cref="OperatorRpcs"/>, checked for every call by <see cref="OperatorInterceptor"/>. Each device has its own
/// credential, stored hashed.
/// </summary>
internal sealed class Auth(UpdateServerOptions options, FleetDirectory fleet, IUpdateStore store, DeviceCertificates certificates)
{
    /// <summary>
    /// The least role of every operator RPC (RegistryService and AdminService), and how its audit entry names the
    /// target and reason. A method missing here is refused (fail closed); OperatorRolesTests fails the build's tests
    /// when a proto method has no entry.
    /// </summary>
    public static readonly FrozenDictionary<string, OperatorRpc> OperatorRpcs = new Dictionary<string, OperatorRpc>(StringComparer.Ordinal)
    {
        // Read-only queries: viewer.
        [Registry("ListVersions")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("GetRollout")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("ListRollouts")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("ListDevices")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("GetVersionStats")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("GetDrift")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("GetSlices")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("GetFairness")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("ExportPredictions")] = OperatorRpc.Egress<ExportPredictionsRequest>(OperatorRole.Viewer, r => $"{r.Model} {r.Version}"),
        [Registry("ListAlertRules")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Registry("ListAlerts")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Admin("WhoAmI")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Admin("ListAudit")] = OperatorRpc.Read(OperatorRole.Viewer),

        // Publishing and steering rollouts and alert rules: deployer.
        [Registry("PublishPackage")] = OperatorRpc.WriteStreamed<PublishResponse>(OperatorRole.Deployer, p => $"package {p.Name} {p.Version}"),
        [Registry("CreateRollout")] = OperatorRpc.Write<CreateRolloutRequest>(OperatorRole.Deployer, r => $"model {r.Model} {r.Version}"),
        [Registry("PauseRollout")] = OperatorRpc.Write<RolloutActionRequest>(OperatorRole.Deployer, r => "rollout " + r.Id, r => r.Reason),
        [Registry("ResumeRollout")] = OperatorRpc.Write<RolloutActionRequest>(OperatorRole.Deployer, r => "rollout " + r.Id, r => r.Reason),
        [Registry("RollbackRollout")] = OperatorRpc.Write<RolloutActionRequest>(OperatorRole.Deployer, r => "rollout " + r.Id, r => r.Reason),
        [Registry("PromoteRollout")] = OperatorRpc.Write<RolloutActionRequest>(OperatorRole.Deployer, r => "rollout " + r.Id, r => r.Reason),
        [Registry("CreateAlertRule")] = OperatorRpc.Write<AlertRule>(OperatorRole.Deployer, r => $"model {r.Model} {r.Version}".TrimEnd()),
        [Registry("DeleteAlertRule")] = OperatorRpc.Write<DeleteAlertRuleRequest>(OperatorRole.Deployer, r => "alert-rule " + r.Id),

        // Devices, enrolment and operators: admin.
        [Admin("CreateOperator")] = OperatorRpc.Write<CreateOperatorRequest>(OperatorRole.Admin, r => "operator " + r.Name, r => r.Reason),
        [Admin("ListOperators")] = OperatorRpc.Read(OperatorRole.Admin),
        [Admin("RevokeOperator")] = OperatorRpc.Write<RevokeOperatorRequest>(OperatorRole.Admin, r => "operator " + r.Name, r => r.Reason),
        [Admin("CreateEnrollmentToken")] = OperatorRpc.Write<CreateEnrollmentTokenRequest>(
            OperatorRole.Admin, r => r.DeviceId.Length > 0 ? "device " + r.DeviceId : "enrollment-token " + r.Description, r => r.Reason),
        [Admin("ListEnrollmentTokens")] = OperatorRpc.Read(OperatorRole.Admin),
        [Admin("RevokeEnrollmentToken")] = OperatorRpc.Write<RevokeEnrollmentTokenRequest>(OperatorRole.Admin, r => "enrollment-token " + r.Id, r => r.Reason),
        [Admin("RemoveDevice")] = OperatorRpc.Write<DeviceActionRequest>(OperatorRole.Admin, r => "device " + r.DeviceId, r => r.Reason),
        [Admin("ResetDevice")] = OperatorRpc.Write<DeviceActionRequest>(OperatorRole.Admin, r => "device " + r.DeviceId, r => r.Reason),
        [Admin("RotateDevice")] = OperatorRpc.Write<DeviceActionRequest>(OperatorRole.Admin, r => "device " + r.DeviceId, r => r.Reason),
        [Admin("ListPendingDevices")] = OperatorRpc.Read(OperatorRole.Viewer),
        [Admin("AcceptDevice")] = OperatorRpc.Write<DeviceActionRequest>(OperatorRole.Admin, r => "device " + r.DeviceId, r => r.Reason),
        [Admin("RejectDevice")] = OperatorRpc.Write<DeviceActionRequest>(OperatorRole.Admin, r => "device " + r.DeviceId, r => r.Reason),

        // Alert webhooks: admin (a webhook sends alert details to any URL, and its secret is shown once).
        [Admin("CreateWebhook")] = OperatorRpc.Write<CreateWebhookRequest>(OperatorRole.Admin, r => "webhook " + Webhooks.WebhookService.Redacted(r.Url), r => r.Reason),
        [Admin("ListWebhooks")] = OperatorRpc.Read(OperatorRole.Admin),
        [Admin("RemoveWebhook")] = OperatorRpc.Write<RemoveWebhookRequest>(OperatorRole.Admin, r => "webhook " + r.Id, r => r.Reason),
        [Admin("ListWebhookDeliveries")] = OperatorRpc.Read(OperatorRole.Admin),
        [Admin("RedeliverWebhook")] = OperatorRpc.Write<RedeliverWebhookRequest>(OperatorRole.Admin, r => "webhook-delivery " + r.Id, r => r.Reason),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The services whose every method is an operator RPC.</summary>
    public static readonly string[] OperatorServices = [RegistryService.Descriptor.FullName, AdminService.Descriptor.FullName];

    /// <summary>Whether <paramref name="method"/> ("/package.Service/Method") belongs to an operator service.</summary>
    public static bool IsOperatorMethod(string method) =>
        OperatorServices.Any(s => method.Length > s.Length + 2 && method[0] == '/' && method.AsSpan(1).StartsWith(s, StringComparison.Ordinal) && method[s.Length + 1] == '/');

    /// <summary>The operator presenting the call's bearer token, and what <paramref name="method"/> needs.</summary>
    /// <exception cref="RpcException">Unauthenticated without a bearer token; PermissionDenied for a token that is no
    /// (valid) operator credential, or for a method that declares no role.</exception>
    public async Task<(OperatorIdentity Operator, OperatorRpc Rpc)> IdentifyOperatorAsync(string method, ServerCallContext context)
    {
        var op = await RequireOperatorAsync(context).ConfigureAwait(false);
        return OperatorRpcs.TryGetValue(method, out var rpc)
            ? (op, rpc)
            : throw new RpcException(new Status(StatusCode.PermissionDenied, $"{method} declares no operator role; refused."));
    }

    /// <summary>The refusal when <paramref name="op"/>'s role is below what <paramref name="rpc"/> needs; null when allowed.</summary>
    public static RpcException? Refusal(OperatorIdentity op, OperatorRpc rpc, string method) =>
        op.Role >= rpc.MinimumRole
            ? null
            : new RpcException(new Status(StatusCode.PermissionDenied,
                $"Operator {op.Name} is a {op.Role.Name()}; {method[(method.LastIndexOf('/') + 1)..]} needs the {rpc.MinimumRole.Name()} role. Nothing was changed."));

    /// <summary>The operator the call's bearer token identifies (any role).</summary>
    public async Task<OperatorIdentity> RequireOperatorAsync(ServerCallContext context)
    {
        var token = Bearer(context);
        if (FixedTimeEquals(token, options.OperatorToken))
        {
            return OperatorIdentity.SharedToken;
        }

        var found = await store.FindOperatorByTokenHashAsync(HashToken(token), context.CancellationToken).ConfigureAwait(false);
        if (found is { RevokedUnixMs: not null })
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Operator {found.Name}'s credential was revoked."));
        }

        if (found is null || OperatorRoles.Parse(found.Role) is not { } role)
        {
            // A valid device credential is still not an operator: say so, rather than "unauthenticated".
            throw new RpcException(new Status(StatusCode.PermissionDenied, "This call needs the operator credential."));
        }

        return new OperatorIdentity(found.Name, role);
    }

    /// <summary>
    /// The valid operator whose token hashes to <paramref name="tokenHash"/> (the shared EdgeDeploy:OperatorToken
    /// included), or null: unknown, revoked, or not an operator. The web console signs in and re-checks its cookie with it.
    /// </summary>
    public async Task<OperatorIdentity?> FindOperatorByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        if (options.OperatorToken.Length > 0 && FixedTimeEquals(tokenHash, HashToken(options.OperatorToken)))
        {
            return OperatorIdentity.SharedToken;
        }

        var found = await store.FindOperatorByTokenHashAsync(tokenHash, cancellationToken).ConfigureAwait(false);
        return found is { RevokedUnixMs: null } && OperatorRoles.Parse(found.Role) is { } role ? new OperatorIdentity(found.Name, role) : null;
    }

    public async Task<DeviceEntry> RequireDeviceAsync(ServerCallContext context)
    {
        var hash = HashToken(Bearer(context));
        if (await fleet.FindByTokenHashAsync(hash, context.CancellationToken).ConfigureAwait(false) is { } device)
        {
            certificates.RequireBound(context, device); // mutual TLS: the credential is only good with the device's own certificate
            return device;
        }

        if (await store.FindPendingDeviceByTokenHashAsync(hash, context.CancellationToken).ConfigureAwait(false) is { } pending)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Device {pending.DeviceId} is waiting for an admin to accept it (edge devices accept {pending.DeviceId})."));
        }

        throw new RpcException(new Status(StatusCode.Unauthenticated, "Unknown device credential; register the device first."));
    }

    /// <summary>Whether the call presents <paramref name="device"/>'s credential (its current one, or the one a rotation still keeps alive).</summary>
    public static bool PresentsCredentialOf(ServerCallContext context, DeviceEntry device)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length <= 7)
        {
            return false;
        }

        var hash = HashToken(header[7..]);
        return FixedTimeEquals(hash, device.Record.TokenHash) || FixedTimeEquals(hash, device.Record.PreviousTokenHash);
    }

    /// <summary>The SHA-256 of the call's bearer token, or null without one.</summary>
    public static string? PresentedHash(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        return header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length <= 7 ? null : HashToken(header[7..]);
    }

    /// <summary>Whether the call carries any bearer token at all.</summary>
    public static bool HasBearer(ServerCallContext context) => context.RequestHeaders.GetValue("authorization") is not null;

    public bool IsEnrollmentToken(string token) => FixedTimeEquals(token, options.EnrollmentToken);

    public static string NewDeviceToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Registry(string method) => $"/{RegistryService.Descriptor.FullName}/{method}";

    private static string Admin(string method) => $"/{AdminService.Descriptor.FullName}/{method}";

    private static string Bearer(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length <= 7)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Missing \"authorization: Bearer <token>\" metadata."));
        }

        return header[7..];
    }

    private static bool FixedTimeEquals(string a, string b) =>
        b.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
