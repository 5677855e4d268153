using System.Threading.RateLimiting;

namespace EdgeDeploy.Serving.Protocol;

/// <summary>
/// Bounded concurrency with a bounded queue for inference (REST, gRPC and each message of a stream): at most
/// MaxConcurrency run, at most MaxQueue wait, the rest are refused at once (429 / ResourceExhausted). Metadata and
/// health requests are not limited, so probes answer under load.
/// </summary>
internal sealed class InferenceLimiter(int maxConcurrency, int maxQueue) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = maxConcurrency,
        QueueLimit = maxQueue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>A lease; <see cref="RateLimitLease.IsAcquired"/> is false when the request must be refused.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public RateLimiterStatistics? Statistics => _limiter.GetStatistics();

    public void Dispose() => _limiter.Dispose();
}
