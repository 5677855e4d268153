using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Api;
using EdgeDeploy.UpdateServer.Hosting;
using EdgeDeploy.UpdateServer.Operators;
using Grpc.Core;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeDeploy.UpdateServer.WebConsole;

/// <summary>
/// The web console on the HTTP/1.1 listener (EdgeDeploy:HttpUrls), under /console: Razor components rendered on the
/// server (no script), forms that post with an antiforgery token, and rollout actions that run through
/// <see cref="OperatorCalls"/> with the role <see cref="Auth.OperatorRpcs"/> declares for the same gRPC call, audited the same way.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string Root = "/console";

    private static readonly byte[] Css = ReadCss();

    /// <summary>The console's services: Razor rendering, the sign-in cookie, antiforgery and its data-protection keys (in the data directory).</summary>
    public static void AddEdgeConsole(this IServiceCollection services, UpdateServerOptions options)
    {
        services.AddRazorComponents();
        services.AddDataProtection()
            .SetApplicationName("EdgeDeploy.UpdateServer.Console")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "console-keys")));

        // The keys sit in the owner-only data directory beside assignment.key, unencrypted like it: not worth a warning each start.
        services.AddLogging(b => b.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "edge_console_csrf";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
        });
        services.AddAuthentication().AddCookie(ConsoleSession.Scheme, o =>
        {
            o.Cookie.Name = "edge_console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.LoginPath = Root + "/sign-in";
        });
        services.TryAddSingleton<ConsoleQueries>();
    }

    /// <summary>Maps the console's pages, each tagged for the HTTP/1.1 listener only.</summary>
    public static void MapEdgeConsole(this WebApplication app)
    {
        var open = app.MapGroup(Root).WithMetadata(ServerListeners.HttpListenerRoute.Instance);
        open.MapGet("/console.css", () => Results.Bytes(Css, "text/css; charset=utf-8"));
        open.MapGet("/sign-in", (HttpContext http, string? returnUrl) => Page<Components.SignInPage>(new { User = ConsoleSession.User(http, null), ReturnUrl = returnUrl ?? string.Empty, Error = string.Empty }));
        open.MapPost("/sign-in", (Func<HttpContext, Task<IResult>>)SignInAsync);

        var pages = app.MapGroup(Root).WithMetadata(ServerListeners.HttpListenerRoute.Instance).AddEndpointFilter(RequireOperatorAsync);
        pages.MapGet(string.Empty, () => Results.Redirect(Root + "/fleet"));
        pages.MapPost("/sign-out", async (HttpContext http) =>
        {
            await ConsoleSession.SignOutAsync(http).ConfigureAwait(false);
            return Results.Redirect(Root + "/sign-in", permanent: false);
        });
        pages.MapGet("/fleet", async (HttpContext http, ConsoleQueries q, string? tag, string? model, string? status, int? page) =>
            Page<Components.FleetPage>(new { User = UserOf(http), View = await q.FleetAsync(tag ?? string.Empty, model ?? string.Empty, status ?? string.Empty, page ?? 1, http.RequestAborted).ConfigureAwait(false) }));
        pages.MapGet("/devices/{id}", async (HttpContext http, ConsoleQueries q, string id) =>
            await q.DeviceAsync(id, http.RequestAborted).ConfigureAwait(false) is { } view
                ? Page<Components.DevicePage>(new { User = UserOf(http), View = view })
                : Message(http, "Not found", $"No device '{id}'.", StatusCodes.Status404NotFound));
        pages.MapGet("/models", async (HttpContext http, ConsoleQueries q) =>
            Page<Components.ModelsPage>(new { User = UserOf(http), Versions = await q.ModelsAsync(http.RequestAborted).ConfigureAwait(false) }));
        pages.MapGet("/models/{name}/{version}", async (HttpContext http, ConsoleQueries q, string name, string version) =>
            await q.ModelVersionAsync(name, version, http.RequestAborted).ConfigureAwait(false) is { } view
                ? Page<Components.ModelVersionPage>(new { User = UserOf(http), View = view })
                : Message(http, "Not found", $"{name} {version} is not published.", StatusCodes.Status404NotFound));
        pages.MapGet("/rollouts", async (HttpContext http, ConsoleQueries q, int? page) =>
        {
            var (rows, total) = await q.RolloutsAsync(page ?? 1, http.RequestAborted).ConfigureAwait(false);
            return Page<Components.RolloutsPage>(new { User = UserOf(http), Rows = rows, Total = total, PageNumber = Math.Max(page ?? 1, 1) });
        });
        pages.MapGet("/rollouts/{id}", async (HttpContext http, ConsoleQueries q, string id) =>
            await q.RolloutAsync(id, http.RequestAborted).ConfigureAwait(false) is { } view
                ? Page<Components.RolloutPage>(new { User = UserOf(http), View = view })
                : Message(http, "Not found", $"No rollout '{id}'.", StatusCodes.Status404NotFound));
        pages.MapGet("/rollouts/{id}/{action}", ConfirmAsync);
        pages.MapPost("/rollouts/{id}/{action}", ActAsync);
        pages.MapGet("/monitoring", async (HttpContext http, ConsoleQueries q, string? version, int? hours) =>
        {
            var choices = await q.VersionChoicesAsync(http.RequestAborted).ConfigureAwait(false);
            var chosen = version is { Length: > 0 } && choices.Contains(version) ? version : choices.FirstOrDefault();
            if (chosen is null)
            {
                return Message(http, "Monitoring", "No version is published yet.", StatusCodes.Status200OK);
            }

            var (model, ver) = Split(chosen);
            var view = await q.MonitoringAsync(model, ver, Hours(hours), http.RequestAborted).ConfigureAwait(false);
            return Page<Components.MonitoringPage>(new { User = UserOf(http), View = view });
        });
        pages.MapGet("/monitoring/drift", async (HttpContext http, ConsoleQueries q, string? version, int? hours) =>
        {
            var choices = await q.VersionChoicesAsync(http.RequestAborted).ConfigureAwait(false);
            var chosen = version is { Length: > 0 } && choices.Contains(version) ? version : choices.FirstOrDefault();
            if (chosen is null)
            {
                return Message(http, "Drift", "No version is published yet.", StatusCodes.Status200OK);
            }

            var (model, ver) = Split(chosen);
            var view = await q.DriftAsync(model, ver, Hours(hours), http.RequestAborted).ConfigureAwait(false);
            return Page<Components.DriftPage>(new { User = UserOf(http), View = view, Choices = choices });
        });
        pages.MapGet("/audit", async (HttpContext http, ConsoleQueries q, string? op, string? target, int? limit) =>
            Page<Components.AuditPage>(new { User = UserOf(http), View = await q.AuditAsync(op ?? string.Empty, target ?? string.Empty, limit ?? 200, http.RequestAborted).ConfigureAwait(false) }));
    }

    /// <summary>The gRPC method a rollout action is, in <see cref="Auth.OperatorRpcs"/>.</summary>
    public static string RolloutMethod(RolloutAction action) => $"/{RegistryService.Descriptor.FullName}/{action}Rollout";

    /// <summary>Whether <paramref name="op"/>'s role allows <paramref name="action"/> (the role table's answer; the action itself checks again).</summary>
    public static bool MayAct(OperatorIdentity op, RolloutAction action) =>
        Auth.OperatorRpcs.TryGetValue(RolloutMethod(action), out var rpc) && Auth.Refusal(op, rpc, RolloutMethod(action)) is null;

    private static async ValueTask<object?> RequireOperatorAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await ConsoleSession.CurrentAsync(http).ConfigureAwait(false) is null)
        {
            return HttpMethods.IsGet(http.Request.Method)
                ? Results.Redirect($"{Root}/sign-in?returnUrl={Uri.EscapeDataString(http.Request.Path + http.Request.QueryString)}")
                : Results.Text("Sign in first; nothing was changed.", "text/plain", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (HttpMethods.IsPost(http.Request.Method) && !await ValidFormAsync(http).ConfigureAwait(false))
        {
            return Results.Text("The form's antiforgery token is missing or invalid; nothing was changed.", "text/plain", statusCode: StatusCodes.Status400BadRequest);
        }

        return await next(context).ConfigureAwait(false);
    }

    private static async Task<bool> ValidFormAsync(HttpContext http)
    {
        try
        {
            await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http).ConfigureAwait(false);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        if (!await ValidFormAsync(http).ConfigureAwait(false))
        {
            return Results.Text("The form's antiforgery token is missing or invalid.", "text/plain", statusCode: StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var returnUrl = form["returnUrl"].ToString();
        if (!await ConsoleSession.SignInAsync(http, form["token"].ToString().Trim()).ConfigureAwait(false))
        {
            return Page<Components.SignInPage>(
                new { User = ConsoleSession.User(http, null), ReturnUrl = returnUrl, Error = "That is not a valid operator credential (unknown or revoked)." }, StatusCodes.Status401Unauthorized);
        }

        // Only a path inside the console: never an open redirect.
        return Results.Redirect(returnUrl.StartsWith(Root + "/", StringComparison.Ordinal) && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.Contains('\\') ? returnUrl : Root + "/fleet");
    }

    private static async Task<IResult> ConfirmAsync(HttpContext http, ConsoleQueries q, string id, string action)
    {
        if (ParseAction(action) is not { } parsed)
        {
            return Message(http, "Not found", $"No rollout action '{action}'.", StatusCodes.Status404NotFound);
        }

        if (await q.RolloutAsync(id, http.RequestAborted).ConfigureAwait(false) is not { } view)
        {
            return Message(http, "Not found", $"No rollout '{id}'.", StatusCodes.Status404NotFound);
        }

        var op = ConsoleSession.Operator(http);
        return !MayAct(op, parsed)
            ? Message(http, "Not allowed", $"Operator {op.Name} is a {op.Role.Name()}; {action} needs a higher role.", StatusCodes.Status403Forbidden)
            : Page<Components.ConfirmPage>(new { User = UserOf(http), View = view, Action = parsed.ToString().ToLowerInvariant(), Error = string.Empty });
    }

    private static async Task<IResult> ActAsync(HttpContext http, ConsoleQueries q, RolloutService rollouts, OperatorCalls calls, string id, string action)
    {
        if (ParseAction(action) is not { } parsed)
        {
            return Message(http, "Not found", $"No rollout action '{action}'.", StatusCodes.Status404NotFound);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        var reason = form["reason"].ToString().Trim();
        if (reason.Length == 0 || form["confirm"] != "yes")
        {
            var view = await q.RolloutAsync(id, http.RequestAborted).ConfigureAwait(false);
            return view is null
                ? Message(http, "Not found", $"No rollout '{id}'.", StatusCodes.Status404NotFound)
                : Page<Components.ConfirmPage>(new { User = UserOf(http), View = view, Action = action, Error = "Give a reason and confirm; nothing was changed." }, StatusCodes.Status400BadRequest);
        }

        var op = ConsoleSession.Operator(http);
        try
        {
            // The same role check and audit entry as the gRPC call of the same name, then the same service method.
            await calls.InvokeAsync(op, RolloutMethod(parsed), new RolloutActionRequest { Id = id, Reason = reason },
                () => rollouts.ActAsync(id, parsed, reason, op.Name, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
        {
            return Message(http, "Not allowed", ex.Status.Detail, StatusCodes.Status403Forbidden);
        }
        catch (RejectedException ex)
        {
            return Message(http, "Not done", $"{ex.Reason}: {ex.Message}", ex.Reason == Rejection.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict);
        }

        return Results.Redirect($"{Root}/rollouts/{Uri.EscapeDataString(id)}");
    }

    private static RolloutAction? ParseAction(string action) => action switch
    {
        "pause" => RolloutAction.Pause,
        "resume" => RolloutAction.Resume,
        "promote" => RolloutAction.Promote,
        "rollback" => RolloutAction.Rollback,
        _ => null,
    };

    private static int Hours(int? hours) => Math.Clamp(hours ?? 24, 1, 24 * 7);

    private static (string Model, string Version) Split(string choice)
    {
        var space = choice.LastIndexOf(' ');
        return (choice[..space], choice[(space + 1)..]);
    }

    private static ConsoleUser UserOf(HttpContext http) => ConsoleSession.User(http, ConsoleSession.Operator(http));

    private static IResult Page<T>(object parameters, int status = StatusCodes.Status200OK)
        where T : IComponent =>
        new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<T>(parameters) { StatusCode = status };

    private static IResult Message(HttpContext http, string title, string text, int status) =>
        Page<Components.MessagePage>(new { User = ConsoleSession.User(http, ConsoleSession.OperatorOrNull(http)), Title = title, Text = text }, status);

    private static byte[] ReadCss()
    {
        using var stream = typeof(ConsoleEndpoints).Assembly.GetManifestResourceStream("EdgeDeploy.UpdateServer.Console.console.css")
            ?? throw new InvalidOperationException("console.css is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
