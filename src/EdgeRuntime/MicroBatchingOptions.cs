namespace EdgeDeploy.Runtime;

/// <summary>
/// Dynamic micro-batching of concurrent <see cref="EdgeModel.PredictAsync(IReadOnlyDictionary{string, EdgeTensor}, CancellationToken)"/>
/// callers: requests that arrive within <see cref="MaxDelay"/> of the first waiting one are run together as one
/// <see cref="EdgeModel.PredictBatch"/> (up to <see cref="MaxBatchSize"/>), and each caller gets its own rows back.
/// It trades up to <see cref="MaxDelay"/> of latency for throughput on models with a dynamic first (batch) dimension; on
/// other models the requests still run, one after another. Off unless <see cref="EdgeModelOptions.MicroBatching"/> is set.
/// </summary>
public sealed class MicroBatchingOptions
{
    /// <summary>Most requests run together. Default 8.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>Longest a request waits for others to join its batch. Default 1 ms; zero batches only what is already queued.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>The clock the delay runs on. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the values; called by <see cref="EdgeModelOptions.Validate"/>.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the property.</exception>
    public void Validate()
    {
        if (MaxBatchSize is < 1 or > 4096)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"MicroBatching.MaxBatchSize ({MaxBatchSize}) must be between 1 and 4096.");
        }

        if (MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromSeconds(1))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"MicroBatching.MaxDelay ({MaxDelay}) must be between 0 and 1 second.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
