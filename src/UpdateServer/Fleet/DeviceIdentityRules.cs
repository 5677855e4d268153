using System.Text;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// What a device may register as: ids of letters, digits and <c>. _ - : @</c>; tags, attribute keys and values
/// without control characters; counts and sizes within <see cref="UpdateServerOptions"/>. Returns why not, or null.
/// </summary>
internal static class DeviceIdentityRules
{
    public static string? InvalidId(string deviceId, UpdateServerOptions options)
    {
        if (deviceId.Length == 0 || deviceId.Length > options.MaxDeviceIdLength)
        {
            return $"device_id must be 1-{options.MaxDeviceIdLength} characters; it has {deviceId.Length}";
        }

        for (var i = 0; i < deviceId.Length; i++)
        {
            var c = deviceId[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '@'))
            {
                return $"device_id may hold only letters, digits and . _ - : @; character {i} is U+{(int)c:X4}";
            }
        }

        return null;
    }

    public static string? InvalidTagsAndAttributes(IReadOnlyCollection<string> tags, IReadOnlyDictionary<string, string> attributes, UpdateServerOptions options)
    {
        if (tags.Count > options.MaxDeviceTags)
        {
            return $"at most {options.MaxDeviceTags} tags are accepted; this request has {tags.Count}";
        }

        if (attributes.Count > options.MaxDeviceAttributes)
        {
            return $"at most {options.MaxDeviceAttributes} attributes are accepted; this request has {attributes.Count}";
        }

        foreach (var tag in tags)
        {
            if (InvalidText(tag, "a tag", options) is { } problem)
            {
                return problem;
            }
        }

        long bytes = 0;
        foreach (var (key, value) in attributes)
        {
            if ((InvalidText(key, "an attribute key", options) ?? InvalidText(value, "an attribute value", options, allowEmpty: true)) is { } problem)
            {
                return problem;
            }

            bytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        return bytes > options.MaxDeviceAttributeBytes
            ? $"attributes may total at most {options.MaxDeviceAttributeBytes} bytes (UTF-8 keys and values); these total {bytes}"
            : null;
    }

    private static string? InvalidText(string text, string what, UpdateServerOptions options, bool allowEmpty = false)
    {
        if ((!allowEmpty && text.Length == 0) || text.Length > options.MaxDeviceTagLength)
        {
            return $"{what} must be {(allowEmpty ? 0 : 1)}-{options.MaxDeviceTagLength} characters; it has {text.Length}";
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator)
            {
                return $"{what} holds control character U+{(int)c:X4}";
            }
        }

        return null;
    }
}
