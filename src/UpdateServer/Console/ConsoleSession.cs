using System.Security.Claims;
using EdgeDeploy.UpdateServer.Api;
using EdgeDeploy.UpdateServer.Operators;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace EdgeDeploy.UpdateServer.WebConsole;

/// <summary>
/// Console sign-in: an operator credential (a named token or the shared EdgeDeploy:OperatorToken) is exchanged for an
/// encrypted cookie (HttpOnly, SameSite=Strict, Secure on https) that holds the token's SHA-256. Every request looks the
/// operator up again through <see cref="Auth"/>, so a revoked credential or a changed role takes effect at once.
/// </summary>
internal static class ConsoleSession
{
    public const string Scheme = "EdgeConsole";

    private const string TokenHashClaim = "edge_token_sha256";

    private static readonly object OperatorKey = new();

    /// <summary>The signed-in operator, or null; also makes the cookie's principal the request's user (antiforgery tokens bind to it).</summary>
    public static async Task<OperatorIdentity?> CurrentAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(OperatorKey, out var known) && known is OperatorIdentity op)
        {
            return op;
        }

        var result = await http.AuthenticateAsync(Scheme).ConfigureAwait(false);
        if (!result.Succeeded || result.Principal.FindFirstValue(TokenHashClaim) is not { Length: > 0 } hash)
        {
            return null;
        }

        var found = await http.RequestServices.GetRequiredService<Auth>().FindOperatorByHashAsync(hash, http.RequestAborted).ConfigureAwait(false);
        if (found is null || found.Name != result.Principal.Identity?.Name)
        {
            return null;
        }

        http.User = result.Principal;
        http.Items[OperatorKey] = found;
        return found;
    }

    /// <summary>The operator <see cref="CurrentAsync"/> found for this request (the console's filter ran it).</summary>
    public static OperatorIdentity Operator(HttpContext http) => OperatorOrNull(http) ?? throw new InvalidOperationException("No console operator on this request.");

    public static OperatorIdentity? OperatorOrNull(HttpContext http) => http.Items.TryGetValue(OperatorKey, out var found) ? found as OperatorIdentity : null;

    /// <summary>Signs in with an operator token; false when it is no valid operator credential.</summary>
    public static async Task<bool> SignInAsync(HttpContext http, string token)
    {
        var hash = Auth.HashToken(token);
        var op = token.Length == 0 ? null : await http.RequestServices.GetRequiredService<Auth>().FindOperatorByHashAsync(hash, http.RequestAborted).ConfigureAwait(false);
        if (op is null)
        {
            return false;
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, op.Name), new Claim(ClaimTypes.Role, op.Role.Name()), new Claim(TokenHashClaim, hash)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false }).ConfigureAwait(false);
        return true;
    }

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(Scheme);

    /// <summary>The operator as the pages show them, with a fresh antiforgery token for the page's forms.</summary>
    public static ConsoleUser User(HttpContext http, OperatorIdentity? op)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return new ConsoleUser(op?.Name ?? string.Empty, op?.Role.Name() ?? string.Empty, op is not null && ConsoleEndpoints.MayAct(op, RolloutAction.Pause), tokens.FormFieldName, tokens.RequestToken ?? string.Empty);
    }
}
