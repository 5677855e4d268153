using System.Text.Json.Serialization;

namespace EdgeDeploy.UpdateServer.Storage;

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<double>))]
[JsonSerializable(typeof(List<ArmRecord>))]
[JsonSerializable(typeof(RolloutGates))]
internal sealed partial class StorageJson : JsonSerializerContext;
