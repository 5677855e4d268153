using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Serving.Rest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Serving.Hosting;

/// <summary>
/// Every request must carry <c>Authorization: Bearer &lt;token&gt;</c>; others get 401 (REST, <c>{"error"}</c>) or
/// Unauthenticated (gRPC) before any route runs. Tokens are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>: the time taken says nothing about the token.
/// </summary>
internal sealed class BearerAuthentication(string token, ILogger logger)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        if (IsAuthorized(ctx.Request.Headers.Authorization.ToString()))
        {
            await next(ctx).ConfigureAwait(false);
            return;
        }

        ServeLog.Unauthenticated(logger, ctx.Connection.RemoteIpAddress?.ToString(), ctx.Request.Path);
        const string message = "Unauthenticated: a valid 'Authorization: Bearer <token>' header is required.";
        if (ctx.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // A trailers-only gRPC response: status 16 (Unauthenticated) in the headers, no message.
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/grpc";
            ctx.Response.Headers["grpc-status"] = "16";
            ctx.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        ctx.Response.Headers.WWWAuthenticate = "Bearer";
        await RestApi.WriteError(ctx, StatusCodes.Status401Unauthorized, message).ConfigureAwait(false);
    }

    private bool IsAuthorized(string header)
    {
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : string.Empty;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        return CryptographicOperations.FixedTimeEquals(digest, _expected) & presented.Length > 0;
    }
}
