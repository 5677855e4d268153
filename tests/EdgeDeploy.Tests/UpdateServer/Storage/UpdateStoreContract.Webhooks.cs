using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>The webhook part of the update store contract: webhooks and the delivery outbox filled with alert changes.</summary>
public abstract partial class UpdateStoreContract
{
    private static readonly CancellationToken NoCancel = CancellationToken.None;

    private static WebhookRecord Hook(string id, long at) =>
        new(id, "https://hooks.example/" + id, "v1.sealed-" + id, ["alert.firing"], ["iris"], [], "retrain " + id, "alice", at);

    private static AlertRecord Alert(string id, long at) => new(id, "rule-a", "iris", "2.0.0", "psi", 0.4, 0.2, at, null, "drift");

    [Fact]
    public async Task Webhooks_AddListDelete_ListsOldestFirstAndDeleteDropsOnlyPendingMessages()
    {
        await Store.AddWebhookAsync(Hook("wh-b", 200), NoCancel);
        await Store.AddWebhookAsync(Hook("wh-a", 100) with { EventTypes = [], Models = [], Metrics = ["psi", "ks"] }, NoCancel);
        await Store.AddAlertAsync(Alert("al-1", 300), [WebhookDeliveryRecord.New("msg_1", "wh-b", "alert.firing", "al-1", "{\"n\":1}", 300), WebhookDeliveryRecord.New("msg_2", "wh-b", "alert.firing", "al-1", "{\"n\":2}", 300)], NoCancel);
        await Store.RecordWebhookAttemptAsync(new WebhookAttempt("msg_1", WebhookDeliveryRecord.Delivered, 1, 300, 204, string.Empty, 310), NoCancel);

        var listed = await Store.ListWebhooksAsync(NoCancel);
        var deleted = await Store.DeleteWebhookAsync("wh-b", NoCancel);
        var again = await Store.DeleteWebhookAsync("wh-b", NoCancel);

        Assert.Equal([Hook("wh-a", 100) with { EventTypes = [], Models = [], Metrics = ["psi", "ks"] }, Hook("wh-b", 200)], listed, WebhookComparer.Instance);
        Assert.Equal((true, false), (deleted, again));
        Assert.Equal(["wh-a"], (await Store.ListWebhooksAsync(NoCancel)).Select(w => w.Id));
        Assert.Equal(["msg_1"], (await Store.ListWebhookDeliveriesAsync(string.Empty, false, 100, NoCancel)).Select(d => d.Id)); // history stays
        Assert.Null(await Store.RedeliverWebhookAsync("msg_1", 400, NoCancel)); // its webhook is gone
    }

    [Fact]
    public async Task AlertChanges_WithNotifications_EnqueueInTheSameStepAndOnlyTheFirstResolveEnqueues()
    {
        await Store.AddWebhookAsync(Hook("wh-a", 100), NoCancel);
        await Store.AddAlertAsync(Alert("al-1", 1000), [WebhookDeliveryRecord.New("msg_open", "wh-a", "alert.firing", "al-1", "{\"state\":\"firing\"}", 1000)], NoCancel);

        var first = await Store.ResolveAlertAsync("al-1", 2000, [WebhookDeliveryRecord.New("msg_resolved", "wh-a", "alert.resolved", "al-1", "{}", 2000)], NoCancel);
        var second = await Store.ResolveAlertAsync("al-1", 3000, [WebhookDeliveryRecord.New("msg_resolved_again", "wh-a", "alert.resolved", "al-1", "{}", 3000)], NoCancel);

        Assert.Equal((true, false), (first, second));
        Assert.Equal(2000, Assert.Single(await Store.ListAlertsAsync(true, NoCancel)).ResolvedUnixMs);
        var all = await Store.ListWebhookDeliveriesAsync("wh-a", false, 100, NoCancel);
        Assert.Equal(["msg_resolved", "msg_open"], all.Select(d => d.Id)); // newest first
        Assert.Equal(WebhookDeliveryRecord.New("msg_open", "wh-a", "alert.firing", "al-1", "{\"state\":\"firing\"}", 1000), all[1]);
        Assert.Equal(["msg_open"], (await Store.ListDueWebhookDeliveriesAsync(1500, 10, NoCancel)).Select(d => d.Id));
        Assert.Equal(["msg_open", "msg_resolved"], (await Store.ListDueWebhookDeliveriesAsync(2000, 10, NoCancel)).Select(d => d.Id));
        Assert.Empty(await Store.ListWebhookDeliveriesAsync("wh-other", false, 100, NoCancel));
    }

    [Fact]
    public async Task WebhookAttempts_FailThenDeadThenRedeliver_StateAndDueListFollow()
    {
        await Store.AddWebhookAsync(Hook("wh-a", 100), NoCancel);
        await Store.AddAlertAsync(Alert("al-1", 1000), [WebhookDeliveryRecord.New("msg_1", "wh-a", "alert.firing", "al-1", "{}", 1000), WebhookDeliveryRecord.New("msg_2", "wh-a", "alert.firing", "al-1", "{}", 1000)], NoCancel);

        var retry = await Store.RecordWebhookAttemptAsync(new WebhookAttempt("msg_1", WebhookDeliveryRecord.Pending, 1, 5000, 503, "HTTP 503", null), NoCancel);
        var dueBefore = await Store.ListDueWebhookDeliveriesAsync(4999, 10, NoCancel);
        var dead = await Store.RecordWebhookAttemptAsync(new WebhookAttempt("msg_1", WebhookDeliveryRecord.Dead, 2, 5000, 0, "timeout", null), NoCancel);
        var afterDead = await Store.RecordWebhookAttemptAsync(new WebhookAttempt("msg_1", WebhookDeliveryRecord.Delivered, 3, 5000, 200, string.Empty, 6000), NoCancel);
        var deadLetters = await Store.ListWebhookDeliveriesAsync(string.Empty, true, 100, NoCancel);
        var redelivered = await Store.RedeliverWebhookAsync("msg_1", 7000, NoCancel);
        var pendingAgain = await Store.RedeliverWebhookAsync("msg_2", 7000, NoCancel);
        var missing = await Store.RedeliverWebhookAsync("msg_none", 7000, NoCancel);

        Assert.Equal((true, true, false), (retry, dead, afterDead)); // an outcome is only recorded on a pending message
        Assert.Equal(["msg_2"], dueBefore.Select(d => d.Id));
        Assert.Equal(new WebhookDeliveryRecord("msg_1", "wh-a", "alert.firing", "al-1", "{}", WebhookDeliveryRecord.Dead, 2, 1000, 5000, 0, "timeout", null), Assert.Single(deadLetters));
        Assert.Equal(new WebhookDeliveryRecord("msg_1", "wh-a", "alert.firing", "al-1", "{}", WebhookDeliveryRecord.Pending, 0, 7000, 7000, 0, string.Empty, null), redelivered);
        Assert.Equal((null, null), (pendingAgain, missing));
        Assert.Empty(await Store.ListWebhookDeliveriesAsync(string.Empty, true, 100, NoCancel));
        Assert.Equal(["msg_2", "msg_1"], (await Store.ListDueWebhookDeliveriesAsync(7000, 10, NoCancel)).Select(d => d.Id));
        Assert.Equal(["msg_2"], (await Store.ListDueWebhookDeliveriesAsync(7000, 1, NoCancel)).Select(d => d.Id));
    }

    /// <summary>Webhook records compare their lists by content.</summary>
    private sealed class WebhookComparer : IEqualityComparer<WebhookRecord>
    {
        public static readonly WebhookComparer Instance = new();

        public bool Equals(WebhookRecord? x, WebhookRecord? y) =>
            x is not null && y is not null && Key(x) == Key(y);

        public int GetHashCode(WebhookRecord obj) => Key(obj).GetHashCode(StringComparison.Ordinal);

        private static string Key(WebhookRecord w) =>
            string.Join("|", w.Id, w.Url, w.SecretCiphertext, string.Join(",", w.EventTypes), string.Join(",", w.Models), string.Join(",", w.Metrics), w.Description, w.CreatedBy, w.CreatedUnixMs);
    }
}
