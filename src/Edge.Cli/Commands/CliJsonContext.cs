using System.Text.Json.Serialization;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Cli.Commands;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(PackageManifest))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
