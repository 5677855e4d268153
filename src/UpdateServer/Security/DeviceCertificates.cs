using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Security;

/// <summary>
/// A device's client certificate as its identity (mutual TLS): bound to the device record at registration (its SHA-256),
/// and every later call made with the device's credential must come over a connection presenting that same certificate.
/// The certificate was already checked against <see cref="ServerTlsOptions.ClientCaPath"/> during the TLS handshake.
/// </summary>
internal sealed class DeviceCertificates(ServerTlsOptions tls, FleetDirectory fleet)
{
    /// <summary>Whether every connection must present a client certificate.</summary>
    public bool Required => tls.RequireClientCertificate;

    /// <summary>SHA-256 (lowercase hex) of the client certificate on this call's connection, or null when none.</summary>
    public static string? Presented(ServerCallContext context) =>
        context.GetHttpContext().Connection.ClientCertificate is { } certificate ? Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) : null;

    /// <summary>
    /// The certificate <paramref name="deviceId"/> is bound to after this registration: the one already bound (which must
    /// be the one presented), else the one presented (unless another device holds it), else none where none is required.
    /// </summary>
    public async Task<string> BindAsync(ServerCallContext context, string deviceId, string bound, CancellationToken cancellationToken)
    {
        var presented = Presented(context);
        if (bound.Length > 0)
        {
            RequireSame(presented, bound, deviceId);
            return bound;
        }

        if (presented is null)
        {
            return Required
                ? throw new RpcException(new Status(StatusCode.Unauthenticated, $"Device {deviceId}: this server requires a client certificate (mutual TLS); register over a connection that presents the device's certificate."))
                : string.Empty;
        }

        if ((await fleet.AllAsync(cancellationToken).ConfigureAwait(false)).Any(d => d.Record.CertificateSha256 == presented && d.Record.DeviceId != deviceId))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Device {deviceId}: the client certificate presented is already bound to another device; each device needs its own certificate. Nothing was changed."));
        }

        return presented;
    }

    /// <summary>Refuses a call that uses <paramref name="device"/>'s credential over a connection without its bound certificate.</summary>
    public void RequireBound(ServerCallContext context, DeviceEntry device)
    {
        var bound = device.Record.CertificateSha256;
        var presented = Presented(context);
        if (presented is null && Required)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Device {device.Record.DeviceId} must present its client certificate (mutual TLS)."));
        }

        if (presented is null && bound.Length == 0)
        {
            return;
        }

        if (bound.Length == 0)
        {
            if (Required)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"Device {device.Record.DeviceId} has no client certificate bound (it registered before mutual TLS); register again with its current credential over mutual TLS to bind one."));
            }

            return;
        }

        RequireSame(presented, bound, device.Record.DeviceId);
    }

    private static void RequireSame(string? presented, string bound, string deviceId)
    {
        if (presented is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Device {deviceId} is bound to a client certificate; present it (mutual TLS)."));
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(bound)))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"The client certificate presented is not the one bound to device {deviceId}; nothing was changed."));
        }
    }
}
