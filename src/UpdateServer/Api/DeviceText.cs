namespace EdgeDeploy.UpdateServer.Api;

/// <summary>Device-chosen strings made fit for messages and logs.</summary>
internal static class DeviceText
{
    /// <summary>Control characters escaped (a NUL or newline cannot forge a line), at most 128 characters.</summary>
    public static string Printable(string text)
    {
        var clean = string.Concat(text.Take(128).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length > 128 ? clean + "…" : clean;
    }
}
