using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Limits and clock for <see cref="PackageVerifier"/>; defaults stated on each property.</summary>
public sealed class PackageVerifierOptions
{
    /// <summary>Largest package file accepted. Default 2 GiB.</summary>
    public long MaxPackageBytes { get; init; } = 2L << 30;

    /// <summary>Largest single file inside a package (after decompression). Default 1 GiB.</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;

    /// <summary>Largest manifest. Default 1 MiB.</summary>
    public long MaxManifestBytes { get; init; } = 1 << 20;

    /// <summary>Most entries in a package. Default 32.</summary>
    public int MaxEntries { get; init; } = 32;

    /// <summary>Clock for expiry checks. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Runtime version requirements are checked against. Default this build's version.</summary>
    public string RuntimeVersion { get; init; } = RuntimeInfo.Version;

    /// <summary>Checks every property and throws on the first bad one; the <see cref="PackageVerifier"/> constructor calls it.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the property.</exception>
    public void Validate()
    {
        Positive(MaxPackageBytes, nameof(MaxPackageBytes));
        Positive(MaxFileBytes, nameof(MaxFileBytes));
        Positive(MaxManifestBytes, nameof(MaxManifestBytes));
        Positive(MaxEntries, nameof(MaxEntries));
        if (TimeProvider is null)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "TimeProvider must not be null.");
        }

        // Parsed here so a bad version fails at construction, not on the first package that states a requirement.
        if (!SemVersion.TryParse(RuntimeVersion, SemVersionStyles.Strict, out _))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"RuntimeVersion '{RuntimeVersion}' is not a semantic version (e.g. 1.2.0).");
        }
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{name} ({value}) must be positive.");
        }
    }
}
