using System.CommandLine;
using EdgeDeploy.Runtime;
using Grpc.Core;

namespace EdgeDeploy.Cli.Commands;

/// <summary>Options shared by the commands that load a model.</summary>
internal static class CommonOptions
{
    public static Argument<string> Model() => new("model") { Description = "Path to an .onnx model." };

    public static Option<string> Provider() => new("--provider")
    {
        Description = "Execution provider: auto (CUDA when present, else CPU), cpu or cuda.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Intra-op threads (0 = one per core).",
        DefaultValueFactory = _ => 1,
    };

    public static EdgeModelOptions ToOptions(string provider, int threads, NonFiniteInputPolicy nonFinite = NonFiniteInputPolicy.Reject) => new()
    {
        ExecutionProvider = provider.ToLowerInvariant() switch
        {
            "auto" => ExecutionProviderKind.Auto,
            "cpu" => ExecutionProviderKind.Cpu,
            "cuda" => ExecutionProviderKind.Cuda,
            _ => throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Unknown provider '{provider}'; use auto, cpu or cuda."),
        },
        IntraOpThreads = threads,
        NonFiniteInputs = nonFinite,
    };

    /// <summary>Runs a command body, printing EdgeDeploy errors as one line on stderr with exit code 2.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is EdgeException or IOException or UnauthorizedAccessException)
        {
            return Fail(ex);
        }
    }

    /// <summary>
    /// <see cref="Guard"/> for commands that talk to a server: also gRPC failures (as <c>error: StatusCode: detail</c>)
    /// and bad option values.
    /// </summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception ex) when (ex is EdgeException or RpcException or IOException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            return Fail(ex);
        }
    }

    /// <summary>Prints <c>error: Code: message</c>: every error names one code, never two.</summary>
    internal static int Fail(Exception ex)
    {
        Console.Error.WriteLine("error: " + ex switch
        {
            EdgeException e => $"{e.Code}: {e.Message}",
            RpcException r when r.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded => $"Unavailable: {r.Status.Detail}",
            RpcException r => StartsWithCode(r.Status.Detail) ? r.Status.Detail : $"{r.StatusCode}: {r.Status.Detail}", // the server already named the code
            FileNotFoundException or DirectoryNotFoundException => $"FileNotFound: {ex.Message}",
            UnauthorizedAccessException => $"PermissionDenied: {ex.Message}",
            IOException => $"IoError: {ex.Message}",
            ArgumentException or FormatException => $"InvalidArgument: {ex.Message}",
            _ => ex.Message,
        });
        return 2;
    }

    /// <summary>Whether a message already starts with an error code ("PackageMalformed: ...").</summary>
    private static bool StartsWithCode(string message)
    {
        var colon = message.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Enum.TryParse<EdgeErrorCode>(message[..colon], ignoreCase: false, out _) && !message[..colon].Any(char.IsWhiteSpace);
    }
}
