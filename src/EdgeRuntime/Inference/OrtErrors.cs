using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>The one place where ONNX Runtime's native status is turned into <see cref="EdgeException"/>.</summary>
internal static class OrtErrors
{
    // ORT formats native statuses as "[ErrorCode:Name] message"; its ErrorCode enum is internal.
    private const string Prefix = "[ErrorCode:";

    public static EdgeException Translate(OnnxRuntimeException exception, string context, EdgeErrorCode fallback = EdgeErrorCode.InferenceFailed)
    {
        var (status, detail) = Split(exception.Message);
        var code = status switch
        {
            "NoSuchFile" => EdgeErrorCode.ModelNotFound,
            "InvalidProtobuf" or "InvalidGraph" or "NoModel" or "ModelLoaded" => EdgeErrorCode.InvalidModel,
            "NotImplemented" => fallback == EdgeErrorCode.InferenceFailed ? EdgeErrorCode.InferenceFailed : EdgeErrorCode.UnsupportedModel,
            "InvalidArgument" when fallback == EdgeErrorCode.InvalidModel => EdgeErrorCode.InvalidModel,
            _ => fallback,
        };
        return new EdgeException(code, $"{context}: {detail}", exception);
    }

    /// <summary>Runs <paramref name="action"/>, translating ORT failures.</summary>
    public static T Call<T>(Func<T> action, string context, EdgeErrorCode fallback = EdgeErrorCode.InferenceFailed)
    {
        try
        {
            return action();
        }
        catch (OnnxRuntimeException ex)
        {
            throw Translate(ex, context, fallback);
        }
    }

    internal static (string Status, string Detail) Split(string message)
    {
        if (message.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var end = message.IndexOf(']', StringComparison.Ordinal);
            if (end > Prefix.Length)
            {
                return (message[Prefix.Length..end], message[(end + 1)..].Trim());
            }
        }

        return (string.Empty, message);
    }
}
