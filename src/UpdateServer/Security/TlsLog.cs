namespace EdgeDeploy.UpdateServer.Security;

/// <summary>Log messages about transport security (event ids 590-599).</summary>
internal static partial class TlsLog
{
    [LoggerMessage(EventId = 590, EventName = "CleartextListener", Level = LogLevel.Warning,
        Message = "Listening on {Address} in cleartext: credentials and packages cross unencrypted. Use https:// with EdgeDeploy:Tls:CertificatePath outside loopback development")]
    public static partial void CleartextListener(ILogger logger, string address);

    [LoggerMessage(EventId = 591, EventName = "CleartextRefused", Level = LogLevel.Critical,
        Message = "Refusing to start: {Address} is cleartext on a non-loopback address. Serve https:// (EdgeDeploy:Tls:CertificatePath and KeyPath), bind 127.0.0.1, or set EdgeDeploy:AllowInsecure=true behind a TLS-terminating proxy")]
    public static partial void CleartextRefused(ILogger logger, string address);

    [LoggerMessage(EventId = 592, EventName = "MutualTlsOn", Level = LogLevel.Information,
        Message = "Client certificates from {ClientCa} are {Mode}; a device that registers with one is bound to it")]
    public static partial void MutualTlsOn(ILogger logger, string clientCa, string mode);
}
