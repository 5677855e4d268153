using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Tests.UpdateServer.Webhooks;

/// <summary>
/// A real webhook receiver: Kestrel on 127.0.0.1 (port from the OS) recording every request's headers and raw body, and
/// answering each with the status <see cref="StatusFor"/> picks for its 1-based call number.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private int _calls;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>One request as it arrived.</summary>
    public sealed record Received(string? Id, string? Timestamp, string? Signature, string ContentType, string Body, int AnsweredStatus);

    /// <summary>The status answered to call number n (1-based); 204 unless a test sets it.</summary>
    public Func<int, int> StatusFor { get; set; } = _ => 204;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<Received> Requests => [.. _received];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/retrain", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var status = receiver.StatusFor(Interlocked.Increment(ref receiver._calls));
            receiver._received.Enqueue(new Received(
                context.Request.Headers["webhook-id"], context.Request.Headers["webhook-timestamp"], context.Request.Headers["webhook-signature"],
                context.Request.ContentType ?? string.Empty, body, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = new Uri(new Uri(address), "/hooks/retrain");
        return receiver;
    }

    /// <summary>Waits (bounded, polling) until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(int count, string because)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The receiver got {_received.Count} of {count} requests within 30 s ({because}).");
            }

            await Task.Delay(20);
        }

        return Requests;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
