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

    /// <summary>The ONNX Runtime session options could not be configured: a session config entry was refused or the session hook threw.</summary>
    SessionConfigurationFailed = 21,

    /// <summary>ONNX Runtime failed while running the model.</summary>
    InferenceFailed = 30,

    /// <summary>The object was used after it was disposed.</summary>
    Disposed = 40,

    /// <summary>Input JSON could not be turned into tensors.</summary>
    InvalidJson = 50,

    /// <summary>The package file does not exist.</summary>
    PackageNotFound = 60,

    /// <summary>The package is not a well-formed archive (corrupt, duplicate or unsafe entry names, too many entries).</summary>
    PackageMalformed = 61,

    /// <summary>The manifest is not valid JSON, not in canonical form, or misses required fields.</summary>
    ManifestMalformed = 62,

    /// <summary>A file's bytes do not match the SHA-256 or size in the signed manifest.</summary>
    FileHashMismatch = 63,

    /// <summary>A file listed in the manifest is missing from the package.</summary>
    FileMissing = 64,

    /// <summary>The package holds a file the manifest does not list.</summary>
    FileUnexpected = 65,

    /// <summary>No signature comes from a key the trusted root knows.</summary>
    SignatureUnknownKey = 66,

    /// <summary>A signature comes from a key the trusted root has revoked.</summary>
    KeyRevoked = 67,

    /// <summary>Fewer valid signatures than the role's threshold.</summary>
    SignatureThresholdNotMet = 68,

    /// <summary>The signing keys are valid but no publisher delegated for this model name holds them.</summary>
    PublisherNotAuthorized = 69,

    /// <summary>The trusted root metadata has expired.</summary>
    RootExpired = 70,

    /// <summary>The package manifest has expired.</summary>
    ManifestExpired = 71,

    /// <summary>The package version is lower than the highest version installed for this model.</summary>
    VersionRollback = 72,

    /// <summary>A new root is not signed by the threshold of the old root keys and of its own keys.</summary>
    RootRotationInvalid = 73,

    /// <summary>A new root's version is not exactly one above the trusted root's.</summary>
    RootVersionRollback = 74,

    /// <summary>The root metadata is malformed.</summary>
    RootMalformed = 75,

    /// <summary>This device cannot meet the package's requirements (runtime version, opset, execution provider).</summary>
    RequirementsNotMet = 76,

    /// <summary>The package is validly signed but is not the one expected (another model or version: mix-and-match).</summary>
    PackageMismatch = 77,

    /// <summary>A test set inside the package cannot be decoded.</summary>
    TestSetMalformed = 78,

    /// <summary>Signatures come from known keys but do not verify: the signed bytes were changed.</summary>
    SignatureInvalid = 79,

    /// <summary>Serving is suspended: the device has been out of contact with its update server for longer than the offline grace.</summary>
    OfflineGraceExpired = 90,

    /// <summary>The update server's signed assignment names something unsafe or invalid (a hash that is not 64 lowercase hex characters, a model or version name the package manifest rules refuse, a negative size).</summary>
    AssignmentMalformed = 91,

    /// <summary>The update server's signed assignment was issued before one this device already accepted (a replayed older assignment).</summary>
    AssignmentReplayed = 92,

    /// <summary>Update agent: the update server could not be reached or refused the call; the device keeps serving what it has.</summary>
    UpdateServerUnavailable = 93,

    /// <summary>Update agent: a check-in reached the server but an assigned version failed its download, verification or gate.</summary>
    UpdateFailed = 94,
}
