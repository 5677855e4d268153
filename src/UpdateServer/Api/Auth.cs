using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.UpdateServer.Security;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>Bearer-token checks: operators share one secret; each device has its own credential, stored hashed.</summary>
internal sealed class Auth(UpdateServerOptions options, FleetDirectory fleet, DeviceCertificates certificates)
{
    public void RequireOperator(ServerCallContext context)
    {
        var token = Bearer(context);
        if (!FixedTimeEquals(token, options.OperatorToken))
        {
            // A valid device credential is still not an operator: say so, rather than "unauthenticated".
            throw new RpcException(new Status(StatusCode.PermissionDenied, "This call needs the operator credential."));
        }
    }

    public async Task<DeviceEntry> RequireDeviceAsync(ServerCallContext context)
    {
        var device = await fleet.FindByTokenHashAsync(HashToken(Bearer(context)), context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "Unknown device credential; register the device first."));
        certificates.RequireBound(context, device); // mutual TLS: the credential is only good with the device's own certificate
        return device;
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

    /// <summary>Whether the call carries any bearer token at all.</summary>
    public static bool HasBearer(ServerCallContext context) => context.RequestHeaders.GetValue("authorization") is not null;

    public bool IsEnrollmentToken(string token) => FixedTimeEquals(token, options.EnrollmentToken);

    public static string NewDeviceToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

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
