using System.Text.RegularExpressions;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EdgeDeploy.Tests.UpdateServer.WebConsole;

/// <summary>
/// Debian's chromium, headless, driven by Playwright .NET (its driver ships in the NuGet package; no browser is
/// downloaded), against a real update server's HTTP/1.1 listener. Screenshots go to artifacts/console-screenshots.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, Uri console)
    {
        _playwright = playwright;
        _browser = browser;
        BaseUrl = console;
    }

    public Uri BaseUrl { get; }

    public IPlaywright Playwright => _playwright;

    public static string ScreenshotDirectory => Repo.Artifacts("console-screenshots");

    public static async Task<ConsoleBrowser> LaunchAsync(UpdateServerHost server)
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assertions.SetDefaultExpectTimeout(15_000); // as the pages' own default: 5 s is tight on a loaded 2-core CI machine
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new ConsoleBrowser(playwright, browser, server.HttpAddress ?? throw new InvalidOperationException("The server has no HTTP/1.1 listener."));
    }

    /// <summary>A fresh browser profile (its own cookies) at a laptop width, or a tablet width.</summary>
    public async Task<IPage> NewPageAsync(bool tablet = false)
    {
        var context = await _browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl.ToString().TrimEnd('/'),
            ViewportSize = tablet ? new() { Width = 820, Height = 1180 } : new() { Width = 1366, Height = 900 },
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the form (after the redirect an unauthenticated visit gets) and lands on <paramref name="path"/>.</summary>
    public static async Task SignInAsync(IPage page, string token, string path = "/console/fleet")
    {
        await page.GotoAsync(path);
        Assert.Contains("/console/sign-in?returnUrl=", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("Operator token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivedAsync(page, new Regex(Regex.Escape(path) + "$"));
    }

    /// <summary>
    /// Waits until the page's address matches <paramref name="url"/> and that document has loaded. Not
    /// <c>WaitForURLAsync</c>: when the address already matches, it checks the load state and then subscribes to it,
    /// and a load landing in between is lost (playwright-dotnet#3364; it timed out a CI run). The assertion polls the
    /// address in the driver; a missed load state is still recorded, so short waits repeated find it.
    /// </summary>
    public static async Task ArrivedAsync(IPage page, Regex url)
    {
        await Assertions.Expect(page).ToHaveURLAsync(url, new() { Timeout = 30_000 });
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = 1_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 30)
            {
            }
        }
    }

    public static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>Posts a form from the page's browser profile (its cookies), without following redirects.</summary>
    public static Task<IAPIResponse> PostFormAsync(IPage page, string path, params (string Name, string Value)[] fields)
    {
        var form = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return page.Context.APIRequest.PostAsync(path, new() { Form = form, MaxRedirects = 0 });
    }

    /// <summary>The antiforgery token of the page's forms.</summary>
    public static async Task<string> CsrfAsync(IPage page) => await page.Locator("input[name=__csrf]").First.GetAttributeAsync("value") ?? string.Empty;

    /// <summary>Publishes iris 1.0.0 and starts a staged 50%/100% rollout of it; returns the rollout id.</summary>
    public static async Task<string> StagedRolloutAsync(UpdateServerHost server)
    {
        await server.PublishAsync(await File.ReadAllBytesAsync(Repo.Model("iris_classifier.edgepkg")));
        var request = new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.Staged, OnFailure = FailureAction.Pause };
        request.Stages.AddRange([50, 100]);
        return (await server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator)).Id;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
