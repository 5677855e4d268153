using EdgeDeploy.Runtime.Inference;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime;

/// <content>Asynchronous prediction with cancellation and optional dynamic micro-batching.</content>
public sealed partial class EdgeModel
{
    private readonly MicroBatcher? _batcher;

    /// <summary>Batches run by the micro-batcher and the requests they held; (0, 0) when micro-batching is off.</summary>
    public (long Batches, long Requests) MicroBatchCounts => _batcher?.Counts ?? default;

    /// <summary>Runs a single-input model's input off the calling thread; see <see cref="PredictAsync(IReadOnlyDictionary{string, EdgeTensor}, CancellationToken)"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The optional token is last on both overloads, as on the BCL's async APIs; the first parameters tell them apart.")]
    public Task<Prediction> PredictAsync(string inputName, EdgeTensor input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputName);
        ArgumentNullException.ThrowIfNull(input);
        return PredictAsync(new Dictionary<string, EdgeTensor>(1, StringComparer.Ordinal) { [inputName] = input }, cancellationToken);
    }

    /// <summary>
    /// Runs the model once on the thread pool, with the same validation and errors as <see cref="Predict(IReadOnlyDictionary{string, EdgeTensor})"/>.
    /// Cancelling before the run starts skips it; cancelling during the run asks ONNX Runtime to stop at its next operator.
    /// Either way the task ends as cancelled. With <see cref="EdgeModelOptions.MicroBatching"/> set, concurrent calls are
    /// batched (each caller still gets only its own rows and its own error).
    /// </summary>
    /// <exception cref="EdgeException">A validation code naming the input, <see cref="EdgeErrorCode.InferenceFailed"/> or <see cref="EdgeErrorCode.Disposed"/> (through the task).</exception>
    /// <exception cref="OperationCanceledException">Through the task, when <paramref name="cancellationToken"/> was cancelled first.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The optional token is last on both overloads, as on the BCL's async APIs; the first parameters tell them apart.")]
    public Task<Prediction> PredictAsync(IReadOnlyDictionary<string, EdgeTensor> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<Prediction>(cancellationToken);
        }

        try
        {
            if (_batcher is not null && _cache is null)
            {
                return _batcher.Enqueue(inputs, cancellationToken);
            }

            Validate(inputs);
        }
        catch (EdgeException ex)
        {
            return Task.FromException<Prediction>(ex);
        }

        return Task.Run(() => RunCancellable(inputs, cancellationToken), cancellationToken);
    }

    private Prediction RunCancellable(IReadOnlyDictionary<string, EdgeTensor> inputs, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return RunValidated(new InputSet(inputs));
        }

        // A run of its own options so terminating it stops this call only.
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            return RunValidated(new InputSet(inputs), runOptions);
        }
        catch (EdgeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The prediction was cancelled.", ex, cancellationToken);
        }
    }
}
