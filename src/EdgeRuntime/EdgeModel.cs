using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Inference;
using EdgeDeploy.Runtime.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime;

/// <summary>
/// A loaded ONNX model. <see cref="Predict(IReadOnlyDictionary{string, EdgeTensor})"/> is safe to call from many threads at once;
/// for the allocation-free path create a <see cref="FastPredictor"/> per thread with <see cref="CreateFastPredictor"/>.
/// Disposing waits for no one: the native session is released when the last in-flight call or fast predictor finishes.
/// </summary>
public sealed partial class EdgeModel : IDisposable
{
    /// <summary>
    /// The <see cref="System.Diagnostics.Metrics.Meter"/> name of the runtime's instruments: predict latency
    /// (<c>edgedeploy.runtime.predict.duration</c>, seconds) and errors (<c>edgedeploy.runtime.predict.errors</c>).
    /// Export them with OpenTelemetry's <c>AddMeter(EdgeModel.MeterName)</c>.
    /// </summary>
    public const string MeterName = "EdgeDeploy.Runtime";

    private readonly SessionHandle _handle;
    private readonly NonFiniteInputPolicy _nonFinite;
    private readonly PredictionCache? _cache;
    private readonly string[] _outputNames;
    private readonly string[] _inputNames;
    private readonly PredictBindings? _bindings;
    private readonly bool _tensorOutputsOnly;
    private readonly OptionalOutputRunner? _optionalRunner;

    private EdgeModel(InferenceSession session, ExecutionProviderReport report, EdgeModelOptions options)
    {
        _handle = new SessionHandle(session);
        ExecutionProvider = report;
        _nonFinite = options.NonFiniteInputs;
        _cache = options.PredictionCacheCapacity > 0 ? new PredictionCache(options.PredictionCacheCapacity) : null;
        try
        {
            Schema = ReadSchema(session);
        }
        catch
        {
            _handle.ReleaseOwner();
            throw;
        }

        _inputNames = Schema.Inputs.Select(i => i.Name).ToArray();
        _outputNames = Schema.Outputs.Select(o => o.Name).ToArray();
        _tensorOutputsOnly = Schema.Outputs.All(o => o.Kind == EdgeValueKind.Tensor && !o.IsOptional);
        _bindings = _tensorOutputsOnly ? PredictBindings.TryCreate(session, Schema) : null;
        if (Schema.Outputs.Any(o => o.IsOptional))
        {
            try
            {
                OptionalOutputRunner.Probe(session);
            }
            catch
            {
                _handle.ReleaseOwner();
                throw;
            }

            _optionalRunner = new OptionalOutputRunner(_inputNames, _outputNames);
        }

        _handle.Attached = _bindings;
        _batcher = options.MicroBatching is { } batching ? new MicroBatcher(this, batching) : null;
    }

    /// <summary>Inputs, outputs and metadata.</summary>
    public ModelSchema Schema { get; }

    /// <summary>The execution provider in use and, where <see cref="ExecutionProviderKind.Auto"/> fell back to CPU, why.</summary>
    public ExecutionProviderReport ExecutionProvider { get; }

    /// <summary>Cache counters; all zero when the cache is off.</summary>
    public PredictionCacheStatistics CacheStatistics => _cache?.Statistics ?? default;

    internal SessionHandle Handle => _handle;

    internal NonFiniteInputPolicy NonFinitePolicy => _nonFinite;

    /// <summary>Loads a model from an ONNX file.</summary>
    /// <exception cref="EdgeException">
    /// <see cref="EdgeErrorCode.ModelNotFound"/>, <see cref="EdgeErrorCode.PayloadTooLarge"/>, <see cref="EdgeErrorCode.InvalidModel"/>,
    /// <see cref="EdgeErrorCode.UnsupportedModel"/>, <see cref="EdgeErrorCode.ExecutionProviderUnavailable"/> or
    /// <see cref="EdgeErrorCode.SessionConfigurationFailed"/>.
    /// </exception>
    public static EdgeModel Load(string path, EdgeModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= EdgeModelOptions.Default;
        options.Validate();
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new EdgeException(EdgeErrorCode.ModelNotFound, $"Model file '{path}' does not exist.");
        }

        CheckSize(file.Length, options, path);
        return Open(s => options.PrePackedWeights is { } shared ? new InferenceSession(path, s, shared) : new InferenceSession(path, s), options, path, SessionFactory.LoadedProviders());
    }

    /// <summary>Loads a model from ONNX bytes.</summary>
    public static EdgeModel Load(byte[] model, EdgeModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= EdgeModelOptions.Default;
        options.Validate();
        CheckSize(model.Length, options, "the supplied bytes");
        if (model.Length == 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidModel, "The model bytes are empty.");
        }

        return Open(s => options.PrePackedWeights is { } shared ? new InferenceSession(model, s, shared) : new InferenceSession(model, s), options, "<bytes>", SessionFactory.LoadedProviders());
    }

    internal static EdgeModel Open(Func<SessionOptions, InferenceSession> open, EdgeModelOptions options, string source, IReadOnlyList<string> providers)
    {
        var logger = options.LoggerFactory?.CreateLogger<EdgeModel>() ?? NullLogger<EdgeModel>.Instance;
        var (session, report) = SessionFactory.Create(open, options, providers);
        var model = new EdgeModel(session, report, options);
        if (report.FallbackReason is not null)
        {
            Log.ProviderFallback(logger, report.Requested, report.FallbackReason);
        }

        Log.ModelLoaded(logger, source, report.Active, model.Schema.Inputs.Count, model.Schema.Outputs.Count);
        return model;
    }

    /// <summary>Runs the model on a single-input model's input.</summary>
    public Prediction Predict(string inputName, EdgeTensor input)
    {
        ArgumentNullException.ThrowIfNull(inputName);
        ArgumentNullException.ThrowIfNull(input);
        return PredictCore(new InputSet(inputName, input));
    }

    /// <summary>Runs the model once. Inputs are validated first; every output is returned.</summary>
    /// <exception cref="EdgeException">A validation code naming the input, or <see cref="EdgeErrorCode.InferenceFailed"/>.</exception>
    public Prediction Predict(IReadOnlyDictionary<string, EdgeTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return PredictCore(new InputSet(inputs));
    }

    /// <summary>
    /// Runs several requests. When every input's first dimension is dynamic and the other dimensions agree, the requests are
    /// concatenated into one run and the outputs split back; otherwise they run one by one. Results are in request order.
    /// </summary>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        for (var r = 0; r < requests.Count; r++)
        {
            try
            {
                Validate(requests[r]);
            }
            catch (EdgeException ex)
            {
                throw new EdgeException(ex.Code, $"Batch request {r}: {ex.Message}", ex) { TensorName = ex.TensorName };
            }
        }

        return RunBatchValidated(requests);
    }

    /// <summary>PredictBatch after validation: one concatenated run where the shapes allow, else one run per request.</summary>
    internal IReadOnlyList<Prediction> RunBatchValidated(IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> requests)
    {
        if (requests.Count > 1 && _cache is null && CanConcatenate(requests))
        {
            return RunConcatenated(requests);
        }

        var results = new Prediction[requests.Count];
        for (var r = 0; r < requests.Count; r++)
        {
            results[r] = RunValidated(new InputSet(requests[r]));
        }

        return results;
    }

    /// <summary>Starts describing a <see cref="FastPredictor"/>: fixed shapes bound to caller or owned memory, no allocation per run.</summary>
    public FastPredictorBuilder CreateFastPredictor() => new(this);

    /// <inheritdoc/>
    public void Dispose()
    {
        _batcher?.Dispose();
        _handle.ReleaseOwner();
    }

    internal void Validate(IReadOnlyDictionary<string, EdgeTensor> inputs) => Validate(new InputSet(inputs));

    internal void Validate(in InputSet inputs)
    {
        try
        {
            InputValidator.CheckNames(Schema, inputs);
            foreach (var schema in Schema.Inputs)
            {
                var tensor = inputs[schema.Name];
                InputValidator.CheckTensor(schema, tensor.ElementType, tensor.Shape);
                if (_nonFinite == NonFiniteInputPolicy.Reject && ElementTypes.IsFloatingPoint(tensor.ElementType))
                {
                    InputValidator.CheckFinite(schema.Name, tensor.ElementType, tensor.AsBytes());
                }
            }
        }
        catch (EdgeException)
        {
            RuntimeMetrics.Failed();
            throw;
        }
    }

    /// <summary>
    /// Runs already-validated inputs, or returns null when the model was disposed before the call could take its lease:
    /// the store then retries on the model that replaced it, so a swap never fails a prediction.
    /// </summary>
    internal Prediction? TryRunValidated(IReadOnlyDictionary<string, EdgeTensor> inputs) =>
        _handle.TryAcquire() ? RunLeased(new InputSet(inputs), _handle.RunOptions) : null;

    /// <summary>Validates and runs; <paramref name="runOptions"/> is the shared one unless a cancellable call brings its own.</summary>
    internal Prediction PredictCore(in InputSet inputs, RunOptions? runOptions = null)
    {
        Validate(inputs);
        return RunValidated(inputs, runOptions);
    }

    /// <summary>Runs validated inputs through the prediction cache (when on) and the session.</summary>
    internal Prediction RunValidated(in InputSet inputs, RunOptions? runOptions = null)
    {
        if (_cache is null)
        {
            return Run(inputs, runOptions);
        }

        var dictionary = inputs.ToDictionary();
        var key = PredictionCache.CreateKey(Schema, dictionary);
        if (_cache.TryGet(key, out var cached))
        {
            return cached;
        }

        var prediction = Run(inputs, runOptions);
        _cache.Add(key, prediction);
        return prediction;
    }

    private Prediction Run(in InputSet inputs, RunOptions? runOptions = null)
    {
        _handle.Acquire();
        return RunLeased(inputs, runOptions ?? _handle.RunOptions);
    }

    /// <summary>Runs under a taken lease (released here): a cached binding when the input shapes have one, else the ordinary path.</summary>
    private Prediction RunLeased(in InputSet inputs, RunOptions runOptions)
    {
        var started = RuntimeMetrics.Start();
        try
        {
            if (_bindings is not null && _bindings.TryRun(inputs, runOptions, out var bound))
            {
                RuntimeMetrics.Predicted(started);
                return bound!;
            }

            var prediction = RunUnbound(inputs, runOptions);
            _bindings?.Learn(inputs, prediction);
            RuntimeMetrics.Predicted(started);
            return prediction;
        }
        catch (OnnxRuntimeException ex)
        {
            RuntimeMetrics.Failed();
            throw OrtErrors.Translate(ex, "Inference failed");
        }
        catch (EdgeException)
        {
            RuntimeMetrics.Failed();
            throw;
        }
        finally
        {
            _handle.Release();
        }
    }

    private Prediction RunUnbound(in InputSet inputs, RunOptions runOptions)
    {
        var values = new OrtValue[_inputNames.Length];
        var pins = new GCHandle[_inputNames.Length];
        try
        {
            for (var i = 0; i < _inputNames.Length; i++)
            {
                values[i] = OrtMarshal.ToOrtValue(inputs[_inputNames[i]], out pins[i]);
            }

            if (_optionalRunner is not null)
            {
                return Prediction.FromValues(_outputNames, _optionalRunner.Run(_handle.Session, runOptions, values));
            }

            using var outputs = _handle.Session.Run(runOptions, _inputNames, values, _outputNames);
            Prediction prediction;
            if (_tensorOutputsOnly)
            {
                var tensors = new EdgeTensor[_outputNames.Length];
                var index = 0;
                foreach (var output in outputs)
                {
                    tensors[index] = OrtMarshal.FromOrtValue(output, _outputNames[index]);
                    index++;
                }

                prediction = new Prediction(_outputNames, tensors);
            }
            else
            {
                prediction = Prediction.FromValues(_outputNames, ReadValues(outputs));
            }

            return prediction;
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            foreach (var pin in pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
    }

    private EdgeValue[] ReadValues(IEnumerable<OrtValue> outputs)
    {
        var values = new EdgeValue[_outputNames.Length];
        var index = 0;
        foreach (var output in outputs)
        {
            values[index] = OrtMarshal.ToValue(output, _outputNames[index]);
            index++;
        }

        return values;
    }

    private bool CanConcatenate(IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> requests)
    {
        foreach (var schema in Schema.Inputs.Concat(Schema.Outputs))
        {
            if (schema.Kind != EdgeValueKind.Tensor || schema.IsOptional || schema.Rank == 0 || schema.Shape[0] >= 0)
            {
                return false;
            }
        }

        foreach (var schema in Schema.Inputs)
        {
            var first = requests[0][schema.Name].Shape;
            for (var r = 1; r < requests.Count; r++)
            {
                if (!requests[r][schema.Name].Shape[1..].SequenceEqual(first[1..]))
                {
                    return false;
                }
            }
        }

        // Every input must agree on the batch size within each request, or the split is ambiguous.
        foreach (var request in requests)
        {
            var rows = request[_inputNames[0]].Shape[0];
            foreach (var name in _inputNames)
            {
                if (request[name].Shape[0] != rows)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private Prediction[] RunConcatenated(IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> requests)
    {
        var rows = new long[requests.Count];
        long totalRows = 0;
        for (var r = 0; r < requests.Count; r++)
        {
            rows[r] = requests[r][_inputNames[0]].Shape[0];
            totalRows += rows[r];
        }

        var merged = new Dictionary<string, EdgeTensor>(_inputNames.Length, StringComparer.Ordinal);
        foreach (var schema in Schema.Inputs)
        {
            merged[schema.Name] = Batching.Concatenate(requests, schema.Name, totalRows);
        }

        var combined = Run(new InputSet(merged));
        var results = new Prediction[requests.Count];
        var splits = new EdgeTensor[_outputNames.Length][];
        for (var o = 0; o < _outputNames.Length; o++)
        {
            splits[o] = Batching.Split(combined.Tensors[o], _outputNames[o], rows, totalRows);
        }

        for (var r = 0; r < requests.Count; r++)
        {
            var tensors = new EdgeTensor[_outputNames.Length];
            for (var o = 0; o < _outputNames.Length; o++)
            {
                tensors[o] = splits[o][r];
            }

            results[r] = new Prediction(_outputNames, tensors);
        }

        return results;
    }

    private static void CheckSize(long length, EdgeModelOptions options, string what)
    {
        if (length > options.MaxModelBytes)
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"Model {what} is {length} bytes, over the configured limit of {options.MaxModelBytes} bytes (EdgeModelOptions.MaxModelBytes).");
        }
    }

    private static ModelSchema ReadSchema(InferenceSession session)
    {
        var inputs = session.InputNames.Select(n => ToInputSchema(n, session.InputMetadata[n])).ToArray();
        var outputs = session.OutputNames.Select(n => ToOutputSchema(n, session.OutputMetadata[n])).ToArray();
        var meta = session.ModelMetadata;
        return new ModelSchema(inputs, outputs, meta.ProducerName, meta.GraphName, meta.Description, meta.Version, meta.CustomMetadataMap);
    }

    private static TensorSchema ToInputSchema(string name, NodeMetadata metadata)
    {
        if (metadata.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Input '{name}' is a {metadata.OnnxValueType}; only tensor inputs are supported (outputs may also be sequences, maps and optional values).") { TensorName = name };
        }

        return ToSchema(name, metadata, "Input");
    }

    /// <summary>Tensors, sequences (of tensors or maps), maps and optional values of those; anything else is refused.</summary>
    private static TensorSchema ToOutputSchema(string name, NodeMetadata metadata)
    {
        switch (metadata.OnnxValueType)
        {
            case OnnxValueType.ONNX_TYPE_TENSOR:
                return ToSchema(name, metadata, "Output");
            case OnnxValueType.ONNX_TYPE_SEQUENCE:
                return TensorSchema.Sequence(name, ToOutputSchema(name, metadata.AsSequenceMetadata().ElementMeta));
            case OnnxValueType.ONNX_TYPE_MAP:
                var map = metadata.AsMapMetadata();
                var key = OrtElementTypes.FromOrt(map.KeyDataType);
                var value = map.ValueMetadata.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR
                    ? OrtElementTypes.FromOrt(map.ValueMetadata.ElementDataType)
                    : EdgeElementType.Unknown;
                if (key is not (EdgeElementType.Int64 or EdgeElementType.String) || value == EdgeElementType.Unknown)
                {
                    throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Output '{name}' is a map with {map.KeyDataType} keys and {map.ValueMetadata.OnnxValueType} values; maps from int64 or string keys to tensor elements are supported.") { TensorName = name };
                }

                return TensorSchema.Map(name, key, value);
            case OnnxValueType.ONNX_TYPE_OPTIONAL:
                // Served through OptionalOutputRunner: ONNX Runtime's managed Run crashes on an empty optional output.
                return ToOutputSchema(name, metadata.AsOptionalMetadata().ElementMeta).AsOptional();
            default:
                throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Output '{name}' is a {metadata.OnnxValueType}; tensors, sequences, maps and optional values are supported.") { TensorName = name };
        }
    }

    private static TensorSchema ToSchema(string name, NodeMetadata metadata, string role)
    {
        var type = OrtElementTypes.FromOrt(metadata.ElementDataType);
        if (type == EdgeElementType.Unknown)
        {
            throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"{role} '{name}' has element type {metadata.ElementDataType}, which this runtime cannot marshal.") { TensorName = name };
        }

        var shape = metadata.Dimensions.Select(d => (long)d).ToArray();
        var names = new string?[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            var symbolic = i < metadata.SymbolicDimensions.Length ? metadata.SymbolicDimensions[i] : null;
            names[i] = string.IsNullOrEmpty(symbolic) ? null : symbolic;
            if (shape[i] < 0)
            {
                shape[i] = -1;
            }
        }

        return new TensorSchema(name, type, shape, names);
    }
}
