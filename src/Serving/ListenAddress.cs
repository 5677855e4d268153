using System.Globalization;
using System.Net;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Serving;

/// <summary>A parsed <c>host:port</c> listen address.</summary>
internal sealed record ListenAddress(string Text, IPAddress Host, int Port)
{
    public bool IsLoopback => IPAddress.IsLoopback(Host);

    /// <summary>Parses <c>127.0.0.1:8000</c>, <c>[::1]:8000</c>, <c>localhost:8000</c>, <c>0.0.0.0:8000</c> (an <c>http://</c> prefix is allowed).</summary>
    public static ListenAddress Parse(string? text, string setting)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{setting} is required (host:port).");
        }

        var trimmed = text.Trim();
        foreach (var scheme in (string[])["http://", "https://"])
        {
            if (trimmed.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                trimmed = trimmed[scheme.Length..].TrimEnd('/');
            }
        }

        var colon = trimmed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(trimmed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{setting} '{text}' is not host:port (e.g. 127.0.0.1:8000).");
        }

        var host = trimmed[..colon].Trim('[', ']');
        IPAddress? address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : host is "*" or "+" ? IPAddress.IPv6Any
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        return address is null
            ? throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{setting} '{text}': '{host}' is not an IP address or localhost.")
            : new ListenAddress(text, address, port);
    }
}
