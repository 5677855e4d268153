using System.Text.Json;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>The store's pointer file: which version serves and which served before it (most recent first).</summary>
internal sealed class StorePointer
{
    public required string Name { get; init; }

    public required string Active { get; init; }

    public IReadOnlyList<string> History { get; init; } = [];

    public static StorePointer? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StoreJsonContext.Default.StorePointer);
        }
        catch (JsonException ex)
        {
            // Only a torn write could do this, and the rename makes those impossible: treat it as damage, loudly.
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The store pointer '{path}' is corrupt: {ex.Message}", ex);
        }
    }

    public void Write(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, StoreJsonContext.Default.StorePointer), StoreFaults.Point);
}
