using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeDeploy.Runtime.Hosting;

/// <summary>Runs the update agent for the app's lifetime when a server address is configured.</summary>
internal sealed class UpdateAgentService(IOptions<EdgeRuntimeOptions> options, IServiceProvider services) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var a = options.Value.Agent;
        if (a.ServerAddress.Length == 0)
        {
            return;
        }

        using var agent = UpdateAgent.Create(new UpdateAgentOptions
        {
            ServerAddress = new Uri(a.ServerAddress),
            ServerCaFile = NullIfEmpty(a.ServerCaPath),
            ClientCertificateFile = NullIfEmpty(a.ClientCertificatePath),
            ClientKeyFile = NullIfEmpty(a.ClientKeyPath),
            DeviceId = a.DeviceId,
            EnrollmentToken = a.EnrollmentToken,
            StateDirectory = a.StateDirectory,
            AssignmentPublicKeyPem = await File.ReadAllTextAsync(a.AssignmentPublicKeyPath, stoppingToken).ConfigureAwait(false),
            Store = services.GetRequiredService<ModelStore>(),
            PollInterval = a.PollInterval,
            OfflineGrace = a.OfflineGrace,
            Attributes = a.Attributes,
            Tags = a.Tags,
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            LoggerFactory = services.GetService<ILoggerFactory>(),
        });
        await agent.RunAsync(stoppingToken).ConfigureAwait(false);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
