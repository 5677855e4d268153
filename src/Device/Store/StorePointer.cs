using System.Text.Json;
using System.Text.Json.Serialization;
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

/// <summary>A gate result kept beside an installed version or a rejected one.</summary>
internal sealed class GateRecord
{
    public required string Version { get; init; }

    public required bool Passed { get; init; }

    public string? Reason { get; init; }

    public double MetricValue { get; init; }

    public DateTimeOffset At { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(StorePointer))]
[JsonSerializable(typeof(GateRecord))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;

/// <summary>
/// Named pause points for crash tests: with EDGE_STORE_PAUSE_AT=name set, the process prints "paused at name" and blocks
/// there so a test can kill -9 it at exactly that step. Does nothing otherwise.
/// </summary>
internal static class StoreFaults
{
    private static readonly string? PauseAt = Environment.GetEnvironmentVariable("EDGE_STORE_PAUSE_AT");

    public static void Point(string name)
    {
        if (PauseAt is not null && PauseAt == name)
        {
            Console.Out.WriteLine($"paused at {name}");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
