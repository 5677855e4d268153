using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// Reference-counted owner of a native session: disposing the model only releases the session once the last
/// in-flight call or fast predictor has finished with it, so a swap never pulls a session out from under a caller.
/// </summary>
internal sealed class SessionHandle
{
    private int _leases = 1; // the owner's lease
    private int _ownerReleased;

    public SessionHandle(InferenceSession session)
    {
        Session = session;
        RunOptions = new RunOptions();
    }

    public InferenceSession Session { get; }

    public RunOptions RunOptions { get; }

    /// <summary>Native resources over the session (cached bindings), released just before it.</summary>
    public IDisposable? Attached { get; set; }

    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _leases);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _leases, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Acquire()
    {
        if (!TryAcquire())
        {
            throw new EdgeException(EdgeErrorCode.Disposed, "The model has been disposed.");
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            Attached?.Dispose();
            RunOptions.Dispose();
            Session.Dispose();
        }
    }

    public void ReleaseOwner()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            Release();
        }
    }
}
