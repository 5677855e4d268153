using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>
/// What the agent accepts from a signed assignment before any of it becomes a path, a download or a serving plan: a
/// stolen or misused assignment key must not let the server side write, read or delete outside the state directory.
/// </summary>
internal static class AssignmentRules
{
    /// <summary>Longest version string accepted (the manifest's semantic-version rule plus a file-name-safe bound).</summary>
    public const int MaxVersionLength = 128;

    /// <summary>Checks every assigned version.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.AssignmentMalformed"/> naming the first bad field.</exception>
    public static void Validate(Assignment assignment)
    {
        foreach (var v in assignment.Versions)
        {
            if (!ManifestCodec.IsValidModelName(v.Model))
            {
                throw Malformed($"model name '{Printable(v.Model)}' is invalid (package manifest rule: 1-64 of [a-z0-9._-], starting with a letter or digit)");
            }

            if (v.Version.Length > MaxVersionLength || !ManifestCodec.IsValidVersion(v.Version))
            {
                throw Malformed($"version '{Printable(v.Version)}' of {v.Model} is not a semantic version of at most {MaxVersionLength} characters");
            }

            if (!IsSha256Hex(v.Sha256))
            {
                throw Malformed($"SHA-256 '{Printable(v.Sha256)}' of {v.Model} {v.Version} is not 64 lowercase hexadecimal characters");
            }

            if (v.Size <= 0 || !double.IsFinite(v.Weight) || v.Weight < 0)
            {
                throw Malformed($"{v.Model} {v.Version} has size {v.Size} and weight {v.Weight}; the size must be positive and the weight finite and non-negative");
            }
        }
    }

    /// <summary>Exactly 64 characters of [0-9a-f].</summary>
    public static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;

    private static EdgeException Malformed(string what) =>
        new(EdgeErrorCode.AssignmentMalformed, $"The server's signed assignment was refused: {what}. Nothing was downloaded or changed.");

    /// <summary>At most 80 characters, control characters escaped, so a hostile value cannot forge log lines.</summary>
    private static string Printable(string value)
    {
        var cut = value.Length > 80 ? value[..80] + "…" : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
