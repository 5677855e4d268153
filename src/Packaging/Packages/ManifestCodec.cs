using System.Text.RegularExpressions;
using EdgeDeploy.Runtime.Telemetry;
using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Manifest bytes ⇄ <see cref="PackageManifest"/>, enforcing canonical form and field rules.</summary>
internal static partial class ManifestCodec
{
    public static byte[] Serialize(PackageManifest manifest) => PackageJsonContext.Serialize(manifest, PackageJsonContext.Default.PackageManifest);

    public static PackageManifest Parse(byte[] bytes)
    {
        var manifest = PackageJsonContext.Parse(bytes, PackageJsonContext.Default.PackageManifest, EdgeErrorCode.ManifestMalformed, "The manifest");

        // Only the exact bytes our serialiser writes are accepted, so two parsers can never read one manifest differently.
        if (!Serialize(manifest).AsSpan().SequenceEqual(bytes))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, "The manifest is not in canonical form.");
        }

        Validate(manifest);
        return manifest;
    }

    /// <summary>Whether <paramref name="name"/> is a valid model name (safe as a file name: no separators, no leading dot).</summary>
    public static bool IsValidModelName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Whether <paramref name="version"/> is a strict semantic version (safe as a file name: only [0-9A-Za-z.+-]).</summary>
    public static bool IsValidVersion(string? version) => version is not null && SemVersion.TryParse(version, SemVersionStyles.Strict, out _);

    public static void Validate(PackageManifest m)
    {
        if (m.FormatVersion != 1)
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Manifest format {m.FormatVersion} is not supported; this runtime reads format 1.");
        }

        if (!IsValidModelName(m.Name))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Model name '{m.Name}' is invalid: use 1-64 lowercase letters, digits, '.', '-' or '_', starting with a letter or digit.");
        }

        if (!IsValidVersion(m.Version))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Version '{m.Version}' is not a semantic version (e.g. 1.2.0).");
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in m.Files)
        {
            if (!paths.Add(f.Path) || f.Size < 0 || f.Sha256.Length != 64 || f.Path is PackageArchive.ManifestPath or PackageArchive.SignaturesPath)
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"File entry '{f.Path}' is invalid (duplicate, reserved name, negative size or malformed hash).");
            }
        }

        foreach (var required in new[] { m.ModelPath, m.EndToEnd.Path, m.Confidence.Path })
        {
            if (!paths.Contains(required))
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The manifest refers to '{required}' but does not list it among its files.");
            }
        }

        if (m.Confidence.Min > m.Confidence.Max || double.IsNaN(m.Confidence.Min) || double.IsNaN(m.Confidence.Max))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The confidence range [{m.Confidence.Min}, {m.Confidence.Max}] is empty.");
        }

        ValidateSlices(m);
    }

    private static void ValidateSlices(PackageManifest m)
    {
        var slices = m.ModelCard.Slices;
        if (slices.Count > SliceMatcher.MaxSlices)
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"The model card has {slices.Count} slices; at most {SliceMatcher.MaxSlices} are supported (devices tag predictions with a 64-bit slice mask).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            if (string.IsNullOrEmpty(slice.Name) || !names.Add(slice.Name))
            {
                throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice names must be non-empty and unique; '{slice.Name}' is not.");
            }

            foreach (var c in slice.Where ?? [])
            {
                var feature = m.Features.FirstOrDefault(f => f.Name == c.Feature);
                if (feature is not { Kind: FeatureKind.Numeric })
                {
                    throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice '{slice.Name}' names feature '{c.Feature}', which is not a numeric feature of the manifest.");
                }

                if (c.Min is null && c.Max is null
                    || c.Min is { } min && !double.IsFinite(min)
                    || c.Max is { } max && !double.IsFinite(max)
                    || c.Min >= c.Max)
                {
                    throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"Slice '{slice.Name}' condition on '{c.Feature}' needs finite bounds with min < max (at least one of them).");
                }
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
