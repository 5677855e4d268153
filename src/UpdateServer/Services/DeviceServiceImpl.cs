using EdgeDeploy.Protos.V1;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Services;

internal sealed class DeviceServiceImpl : DeviceService.DeviceServiceBase
{
    public const int ProtocolVersion = 1;

    private static readonly ElementType[] SupportedTypes = Enum.GetValues<ElementType>().Where(t => t != ElementType.Unspecified).ToArray();

    public override Task<ServerInfo> GetServerInfo(GetServerInfoRequest request, ServerCallContext context)
    {
        var info = new ServerInfo
        {
            ServerVersion = typeof(DeviceServiceImpl).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            ProtocolVersion = ProtocolVersion,
        };
        info.SupportedElementTypes.AddRange(SupportedTypes);
        return Task.FromResult(info);
    }
}
