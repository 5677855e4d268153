using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeDeploy.UpdateServer.Diagnostics.Health;

/// <summary>Unhealthy when the file system of the data directory has less than <see cref="UpdateServerOptions.MinFreeDiskBytes"/> free.</summary>
internal sealed class DiskSpaceHealthCheck(UpdateServerOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var free = new DriveInfo(Path.GetFullPath(options.DataDirectory)).AvailableFreeSpace;
            var data = new Dictionary<string, object> { ["freeBytes"] = free, ["minFreeBytes"] = options.MinFreeDiskBytes };
            return Task.FromResult(free >= options.MinFreeDiskBytes
                ? HealthCheckResult.Healthy($"{free} bytes free for {options.DataDirectory}", data)
                : HealthCheckResult.Unhealthy($"only {free} bytes free for {options.DataDirectory}; EdgeDeploy:MinFreeDiskBytes is {options.MinFreeDiskBytes}", data: data));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"cannot read the free space for {options.DataDirectory}: {ex.Message}"));
        }
    }
}
