namespace EdgeDeploy.UpdateServer.Webhooks;

/// <summary>Wakes the <see cref="WebhookDispatcher"/> at once when messages were enqueued (in this process), instead of at its next poll.</summary>
internal sealed class WebhookSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>New messages are due.</summary>
    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled: one wake-up covers every message
        }
    }

    /// <summary>Waits for <see cref="Notify"/> or <paramref name="timeout"/> on <paramref name="time"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, cts.Token);
        var signalled = _signal.WaitAsync(cts.Token);
        await Task.WhenAny(delay, signalled).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(delay, signalled).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested(); // the loser was cancelled; only the caller's cancellation propagates
        }
    }
}
