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
}
