using System.Text.Json.Serialization;

namespace EdgeDeploy.Runtime.Agent;

[JsonSerializable(typeof(AgentState))]
internal sealed partial class AgentJson : JsonSerializerContext;
