using System.Threading.Channels;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// Collects concurrent async requests and runs them as batches on one dispatcher task. Requests are validated before they
/// queue (a bad request fails its own caller only); a batch that fails as a whole is rerun request by request so one
/// caller's failure never becomes another's. A caller that cancels while queued is dropped from its batch.
/// </summary>
internal sealed class MicroBatcher : IDisposable
{
    private readonly EdgeModel _model;
    private readonly MicroBatchingOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _dispatcher;

    // Batches run side by side up to one per core: the dispatcher gathers the next batch while earlier ones run.
    private readonly SemaphoreSlim _running = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private long _batches;
    private long _requests;

    public MicroBatcher(EdgeModel model, MicroBatchingOptions options)
    {
        _model = model;
        _options = options;
        _dispatcher = Task.Run(DispatchAsync);
    }

    /// <summary>Batches run so far and requests they held (for tests and the benchmark).</summary>
    public (long Batches, long Requests) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _requests));

    public Task<Prediction> Enqueue(IReadOnlyDictionary<string, EdgeTensor> inputs, CancellationToken cancellationToken)
    {
        _model.Validate(inputs);
        var pending = new Pending(inputs, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            pending.Dispose();
            throw new EdgeException(EdgeErrorCode.Disposed, "The model has been disposed.");
        }

        return pending.Completion.Task;
    }

    /// <summary>Stops taking requests; those queued still run (and fail with Disposed once the model is gone).</summary>
    public void Dispose() => _queue.Writer.TryComplete();

    /// <summary>Completes when the queue is closed and drained.</summary>
    internal Task Completion => _dispatcher;

    private async Task DispatchAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var batch = new List<Pending>(_options.MaxBatchSize);
            Take(reader, batch);
            if (batch.Count == 0)
            {
                continue;
            }

            if (batch.Count < _options.MaxBatchSize && _options.MaxDelay > TimeSpan.Zero)
            {
                using var window = new CancellationTokenSource(_options.MaxDelay, _options.TimeProvider);
                try
                {
                    while (batch.Count < _options.MaxBatchSize && await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                    {
                        Take(reader, batch);
                    }
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested)
                {
                    // The window closed: run what came.
                }
            }

            await _running.WaitAsync().ConfigureAwait(false);
            _ = Task.Run(() =>
            {
                try
                {
                    Run(batch);
                }
                finally
                {
                    _running.Release();
                }
            });
        }
    }

    private void Take(ChannelReader<Pending> reader, List<Pending> batch)
    {
        while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var pending))
        {
            if (pending.Completion.Task.IsCompleted)
            {
                pending.Dispose(); // cancelled while queued
            }
            else
            {
                batch.Add(pending);
            }
        }
    }

    private void Run(List<Pending> batch)
    {
        batch.RemoveAll(p =>
        {
            if (!p.Completion.Task.IsCompleted)
            {
                return false;
            }

            p.Dispose();
            return true;
        });
        if (batch.Count == 0)
        {
            return;
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requests, batch.Count);
        if (batch.Count > 1)
        {
            try
            {
                var results = _model.RunBatchValidated(batch.Select(p => p.Inputs).ToArray());
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                    batch[i].Dispose();
                }

                return;
            }
            catch (Exception)
            {
                // One request may have failed the whole run (say, an input ONNX Runtime refuses): rerun them one by one
                // so each caller gets its own result or error.
            }
        }

        foreach (var pending in batch)
        {
            try
            {
                pending.Completion.TrySetResult(_model.RunValidated(new InputSet(pending.Inputs)));
            }
            catch (Exception ex)
            {
                pending.Completion.TrySetException(ex);
            }
            finally
            {
                pending.Dispose();
            }
        }
    }

    private sealed class Pending : IDisposable
    {
        private readonly CancellationTokenRegistration _registration;

        public Pending(IReadOnlyDictionary<string, EdgeTensor> inputs, CancellationToken cancellationToken)
        {
            Inputs = inputs;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.Register(static state =>
                {
                    var (completion, token) = ((TaskCompletionSource<Prediction>, CancellationToken))state!;
                    completion.TrySetCanceled(token);
                }, (Completion, cancellationToken));
            }
        }

        public IReadOnlyDictionary<string, EdgeTensor> Inputs { get; }

        public TaskCompletionSource<Prediction> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose() => _registration.Dispose();
    }
}
