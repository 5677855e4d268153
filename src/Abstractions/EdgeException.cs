namespace EdgeDeploy.Runtime;

/// <summary>The single exception type thrown by EdgeDeploy; <see cref="Code"/> says what went wrong.</summary>
public sealed class EdgeException : Exception
{
    /// <summary>Creates an exception with a code and a message that names the offending item.</summary>
    public EdgeException(EdgeErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates an exception wrapping a lower-level cause.</summary>
    public EdgeException(EdgeErrorCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>The machine-readable reason.</summary>
    public EdgeErrorCode Code { get; }

    /// <summary>The tensor the error is about, when there is one.</summary>
    public string? TensorName { get; init; }
}
