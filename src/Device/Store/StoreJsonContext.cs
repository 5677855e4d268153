using System.Text.Json.Serialization;

namespace EdgeDeploy.Runtime.Store;

/// <summary>Source-generated JSON for the store's files (pointer, gate reports).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(StorePointer))]
[JsonSerializable(typeof(GateRecord))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
