using Microsoft.Extensions.Hosting;

namespace EdgeDeploy.Serving.Hosting;

/// <summary>The server is a library: it starts and stops when its owner says, and never takes over Ctrl+C or SIGTERM.</summary>
internal sealed class LibraryLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
