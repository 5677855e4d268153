namespace EdgeDeploy.UpdateServer.Webhooks;

/// <summary>
/// Webhooks as operators manage them (admin role, through <see cref="Api.AdminServiceImpl"/>): add one (the secret is
/// generated here and returned once), list, remove, and the outbox's deliveries and dead letters, which can be redelivered.
/// </summary>
internal sealed class WebhookService(IUpdateStore store, WebhookSecrets secrets, WebhookSignal signal, TimeProvider time, ILogger<WebhookService> logger)
{
    /// <summary>Most webhooks a server keeps.</summary>
    public const int MaxWebhooks = 100;

    /// <summary>Longest URL accepted.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>Most deliveries one listing returns.</summary>
    public const int MaxListedDeliveries = 1000;

    /// <summary>Validates and stores a webhook; returns it with its secret (<c>whsec_...</c>), which is never shown again.</summary>
    /// <exception cref="RejectedException">A URL that is not absolute http(s) (or carries credentials or a fragment), an unknown event type or metric, or too many webhooks.</exception>
    public async Task<(WebhookRecord Webhook, string Secret)> CreateAsync(
        string url, IEnumerable<string> eventTypes, IEnumerable<string> models, IEnumerable<string> metrics, string description, string createdBy, CancellationToken cancellationToken)
    {
        ValidateUrl(url);
        var events = eventTypes.Select(e => e.StartsWith("alert.", StringComparison.Ordinal) ? e : "alert." + e).Distinct(StringComparer.Ordinal).ToList();
        if (events.FirstOrDefault(e => !WebhookEvents.Types.Contains(e)) is { } unknownEvent)
        {
            throw RejectedException.Invalid($"unknown event type '{unknownEvent}'; use {string.Join(" or ", WebhookEvents.Types)} (none: both).");
        }

        var metricList = metrics.Distinct(StringComparer.Ordinal).ToList();
        if (metricList.FirstOrDefault(m => !AlertEvaluator.Metrics.Contains(m)) is { } unknownMetric)
        {
            throw RejectedException.Invalid($"unknown metric '{unknownMetric}'; alert rules use: {string.Join(", ", AlertEvaluator.Metrics)} (none: all).");
        }

        var modelList = models.Distinct(StringComparer.Ordinal).ToList();
        if (modelList.Any(m => string.IsNullOrWhiteSpace(m) || m.Length > 256) || description.Length > 256)
        {
            throw RejectedException.Invalid("model names must be non-empty and at most 256 characters; the description at most 256.");
        }

        if ((await store.ListWebhooksAsync(cancellationToken).ConfigureAwait(false)).Count >= MaxWebhooks)
        {
            throw RejectedException.Invalid($"this server already has {MaxWebhooks} webhooks, the most it keeps; remove one first.");
        }

        var id = "wh-" + Guid.CreateVersion7().ToString("N");
        var secret = WebhookSecrets.NewSecret();
        var webhook = new WebhookRecord(id, url, secrets.Seal(id, secret), events, modelList, metricList, description, createdBy, time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.AddWebhookAsync(webhook, cancellationToken).ConfigureAwait(false);
        ServerLog.WebhookChanged(logger, id, Redacted(url), "added", createdBy);
        return (webhook, secret);
    }

    public Task<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken cancellationToken) => store.ListWebhooksAsync(cancellationToken);

    /// <summary>Removes a webhook and its pending messages (delivered and dead ones stay listed).</summary>
    /// <exception cref="RejectedException">No such webhook.</exception>
    public async Task<WebhookRecord> RemoveAsync(string id, string removedBy, CancellationToken cancellationToken)
    {
        var webhook = (await store.ListWebhooksAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(w => w.Id == id);
        if (webhook is null || !await store.DeleteWebhookAsync(id, cancellationToken).ConfigureAwait(false))
        {
            throw RejectedException.NotFound($"No webhook '{id}'.");
        }

        ServerLog.WebhookChanged(logger, id, Redacted(webhook.Url), "removed", removedBy);
        return webhook;
    }

    /// <exception cref="RejectedException">A negative limit.</exception>
    public Task<IReadOnlyList<WebhookDeliveryRecord>> DeliveriesAsync(string webhookId, bool deadOnly, int limit, CancellationToken cancellationToken) =>
        limit < 0
            ? throw RejectedException.Invalid("limit must not be negative.")
            : store.ListWebhookDeliveriesAsync(webhookId, deadOnly, limit == 0 ? 100 : Math.Min(limit, MaxListedDeliveries), cancellationToken);

    /// <summary>Queues a delivered or dead message again, due now, with its attempts reset.</summary>
    /// <exception cref="RejectedException">No such message, it is still pending, or its webhook was removed.</exception>
    public async Task<WebhookDeliveryRecord> RedeliverAsync(string deliveryId, CancellationToken cancellationToken)
    {
        var queued = await store.RedeliverWebhookAsync(deliveryId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"No delivered or dead webhook message '{deliveryId}' whose webhook still exists (a pending one is retried anyway).");
        signal.Notify();
        return queued;
    }

    /// <summary>The URL without its query (which may carry a token) for logs.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) + (uri.Query.Length > 0 ? "?…" : string.Empty) : "(invalid url)";

    private static void ValidateUrl(string url)
    {
        if (url.Length is 0 or > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw RejectedException.Invalid($"url must be an absolute http:// or https:// URL of at most {MaxUrlLength} characters; '{(url.Length > 200 ? url[..200] + "…" : url)}' is not.");
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            throw RejectedException.Invalid("url must not carry user:password@ credentials or a #fragment: receivers verify the webhook-signature header instead.");
        }
    }
}
