using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeDeploy.UpdateServer.Diagnostics.Health;

/// <summary>Healthy when the store answers a cheap query (<see cref="IUpdateStore.PingAsync"/>) within 5 s, on SQLite and PostgreSQL alike.</summary>
internal sealed class DatabaseHealthCheck(IUpdateStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await store.PingAsync(timeout.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy("the database answers");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("the database does not answer: " + ex.Message);
        }
    }
}
