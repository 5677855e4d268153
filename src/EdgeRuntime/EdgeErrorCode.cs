namespace EdgeDeploy.Runtime;

/// <summary>Identifies why an EdgeDeploy operation failed. Values are stable: the C ABI returns them as status codes.</summary>
public enum EdgeErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>An argument passed by the caller is invalid.</summary>
    InvalidArgument = 1,

    /// <summary>The model file does not exist.</summary>
    ModelNotFound = 2,

    /// <summary>The model bytes are not a valid ONNX model.</summary>
    InvalidModel = 3,

    /// <summary>The model uses something this runtime does not support (operator, value kind or element type).</summary>
    UnsupportedModel = 4,

    /// <summary>The model file or payload is larger than the configured limit.</summary>
    PayloadTooLarge = 5,

    /// <summary>A required input was not supplied.</summary>
    MissingInput = 10,

    /// <summary>An input was supplied that the model does not declare.</summary>
    UnexpectedInput = 11,

    /// <summary>An input has a different element type than the model expects.</summary>
    InputTypeMismatch = 12,

    /// <summary>An input has a different rank than the model expects.</summary>
    InputRankMismatch = 13,

    /// <summary>An input dimension differs from the model's fixed dimension.</summary>
    InputShapeMismatch = 14,

    /// <summary>An input holds NaN or infinity and the policy rejects them.</summary>
    NonFiniteInput = 15,

    /// <summary>A tensor's data length does not match its shape.</summary>
    TensorDataMismatch = 16,

    /// <summary>An output was requested that the model does not declare, or an output buffer is unsuitable.</summary>
    InvalidOutput = 17,

    /// <summary>The requested execution provider is not available in the loaded ONNX Runtime build or on this machine.</summary>
    ExecutionProviderUnavailable = 20,

    /// <summary>ONNX Runtime failed while running the model.</summary>
    InferenceFailed = 30,

    /// <summary>The object was used after it was disposed.</summary>
    Disposed = 40,

    /// <summary>Input JSON could not be turned into tensors.</summary>
    InvalidJson = 50,
}
