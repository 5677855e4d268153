namespace EdgeDeploy.UpdateServer;

/// <summary>Why a domain service refused a request; the API layer maps each to its gRPC status code.</summary>
internal enum Rejection
{
    /// <summary>The request is malformed or asks for something invalid.</summary>
    InvalidArgument,

    /// <summary>What the request names does not exist.</summary>
    NotFound,

    /// <summary>The request is valid but not in the current state.</summary>
    FailedPrecondition,

    /// <summary>The request would change something immutable.</summary>
    AlreadyExists,

    /// <summary>The request is over a configured limit.</summary>
    ResourceExhausted,
}
