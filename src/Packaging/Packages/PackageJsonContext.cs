using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Source-generated (reflection-free, AOT-safe) JSON for manifests, roots and device trust state.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    AllowTrailingCommas = false,
    MaxDepth = 32)]
[JsonSerializable(typeof(PackageManifest))]
[JsonSerializable(typeof(PackageMetadataInput))]
[JsonSerializable(typeof(SignatureFile))]
[JsonSerializable(typeof(RootMetadata))]
[JsonSerializable(typeof(RootEnvelope))]
[JsonSerializable(typeof(TrustState))]
internal sealed partial class PackageJsonContext : JsonSerializerContext
{
    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.SerializeToUtf8Bytes(value, info);

    /// <summary>Parses untrusted JSON, turning every parser failure into <paramref name="code"/>.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, EdgeErrorCode code, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info) ?? throw new EdgeException(code, $"{what} is empty (null).");
        }
        catch (JsonException ex)
        {
            throw new EdgeException(code, $"{what} is not valid: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new EdgeException(code, $"{what} is not valid: {ex.Message}", ex);
        }
    }
}
