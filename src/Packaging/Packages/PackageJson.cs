using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>Signatures stored beside the manifest.</summary>
internal sealed class SignatureFile
{
    public IReadOnlyList<SignatureEntry> Signatures { get; init; } = [];
}

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

/// <summary>
/// The human-written part of a manifest, read by <c>edge pack --card FILE</c>: model card, features, lineage,
/// hyperparameters, requirements and audit. The packer fills in the rest from the model and test sets.
/// </summary>
public sealed class PackageMetadataInput
{
    /// <summary>See <see cref="PackageManifest.ModelCard"/>.</summary>
    public required ModelCard ModelCard { get; init; }

    /// <summary>See <see cref="PackageManifest.Features"/>.</summary>
    public IReadOnlyList<FeatureSpec> Features { get; init; } = [];

    /// <summary>See <see cref="PackageManifest.VersionSync"/>.</summary>
    public required VersionSync VersionSync { get; init; }

    /// <summary>See <see cref="PackageManifest.Hyperparameters"/>.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>See <see cref="PackageManifest.Requirements"/>; the opset is read from the model when 0.</summary>
    public PackageRequirements Requirements { get; init; } = new();

    /// <summary>See <see cref="PackageManifest.Audit"/>.</summary>
    public required AuditRecord Audit { get; init; }

    /// <summary>Parses a metadata file.</summary>
    public static PackageMetadataInput Parse(ReadOnlySpan<byte> json) =>
        PackageJsonContext.Parse(json, PackageJsonContext.Default.PackageMetadataInput, EdgeErrorCode.InvalidArgument, "The package metadata (card) file");
}
