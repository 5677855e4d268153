using System.Globalization;

namespace EdgeDeploy.UpdateServer.WebConsole;

/// <summary>How the console writes times and numbers: UTC, invariant culture.</summary>
internal static class ConsoleFormat
{
    public static string Time(long unixMs) =>
        unixMs <= 0 ? "never" : DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Ago(long unixMs, long nowUnixMs)
    {
        if (unixMs <= 0)
        {
            return "never";
        }

        var s = Math.Max(0, (nowUnixMs - unixMs) / 1000);
        return s < 60 ? $"{s} s ago" : s < 3600 ? $"{s / 60} min ago" : s < 86_400 ? $"{s / 3600} h ago" : $"{s / 86_400} d ago";
    }

    public static string Short(long unixMs, bool withDate) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString(withDate ? "MM-dd HH:mm" : "HH:mm", CultureInfo.InvariantCulture);

    public static string Num(double value, string format = "0.####") => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    public static string Pct(double share) => double.IsFinite(share) ? (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%" : "–";

    public static string Bytes(long bytes) => bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.0} KiB".Replace(',', '.') : $"{bytes / 1024.0 / 1024.0:0.0} MiB".Replace(',', '.');

    /// <summary>A coordinate for SVG: invariant, two decimals.</summary>
    public static string Svg(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Query(params (string Name, string? Value)[] parts) =>
        "?" + string.Join('&', parts.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
}
