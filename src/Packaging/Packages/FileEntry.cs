namespace EdgeDeploy.Runtime.Packages;

/// <summary>A file in the package.</summary>
public sealed class FileEntry
{
    /// <summary>Path inside the package ('/' separated).</summary>
    public required string Path { get; init; }

    /// <summary>Lowercase hex SHA-256.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size in bytes.</summary>
    public required long Size { get; init; }
}
