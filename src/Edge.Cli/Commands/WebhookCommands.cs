using System.CommandLine;
using System.Globalization;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.Cli.Commands;

/// <summary>
/// <c>edge webhook add|list|remove|deliveries|redeliver</c>: alert webhooks (Standard Webhooks, signed with a secret the
/// server generates and shows once). Every verb needs the admin role.
/// </summary>
internal static class WebhookCommands
{
    public static Command Create()
    {
        var webhook = new Command("webhook", "Alert webhooks: POST a signed message (Standard Webhooks) when an alert fires or resolves, e.g. to start retraining.");
        webhook.Subcommands.Add(Add());
        webhook.Subcommands.Add(List());
        webhook.Subcommands.Add(Remove());
        webhook.Subcommands.Add(Deliveries());
        webhook.Subcommands.Add(Redeliver());
        return webhook;
    }

    private static Command Add()
    {
        var url = new Argument<string>("url") { Description = "Where to POST: an absolute http:// or https:// URL." };
        var events = new Option<string[]>("--event") { Description = "firing, resolved (repeatable; default both).", AllowMultipleArgumentsPerToken = true };
        var models = new Option<string[]>("--model") { Description = "Only alerts of this model (repeatable; default every model).", AllowMultipleArgumentsPerToken = true };
        var metrics = new Option<string[]>("--metric") { Description = "Only alerts of rules on this metric, e.g. psi, ks, slice_metric, error_rate (repeatable; default all).", AllowMultipleArgumentsPerToken = true };
        var description = new Option<string?>("--description") { Description = "What it is for (shown in list)." };
        var output = new Option<string?>("--secret-out") { Description = "Write the signing secret to this new file (owner-only) instead of printing it." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var add = new Command("add", "Add a webhook; the server generates its signing secret (whsec_...) and shows it once. Needs the admin role.")
        {
            url, events, models, metrics, description, output, reason, server, json,
        };
        add.SetAction((r, ct) => Guard(async admin =>
        {
            var request = new CreateWebhookRequest { Url = r.GetValue(url)!, Description = r.GetValue(description) ?? string.Empty, Reason = r.GetValue(reason) ?? string.Empty };
            request.EventTypes.AddRange(r.GetValue(events) ?? []);
            request.Models.AddRange(r.GetValue(models) ?? []);
            request.Metrics.AddRange(r.GetValue(metrics) ?? []);
            var created = await admin.CreateWebhookAsync(request, cancellationToken: ct);
            var text = Describe(created.Webhook);
            if (r.GetValue(output) is { } file)
            {
                Secrets.CreateOwnerOnly(file, created.Secret + "\n");
                created.Secret = string.Empty;
                text += $"{Environment.NewLine}secret written to {file} (owner-only)";
            }
            else
            {
                text += $"{Environment.NewLine}secret: {created.Secret}{Environment.NewLine}(shown once; the receiver verifies webhook-signature with it)";
            }

            FleetCommands.Print(r.GetValue(json), created, text);
        }, r, server, ct));
        return add;
    }

    private static Command List()
    {
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var list = new Command("list", "List webhooks and their filters (never their secrets). Needs the admin role.") { server, json };
        list.SetAction((r, ct) => Guard(async admin =>
        {
            var all = await admin.ListWebhooksAsync(new ListWebhooksRequest(), cancellationToken: ct);
            FleetCommands.Print(r.GetValue(json), all, all.Webhooks.Count == 0 ? "no webhooks" : string.Join(Environment.NewLine, all.Webhooks.Select(Describe)));
        }, r, server, ct));
        return list;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("id") { Description = "Webhook id (wh-...)." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var remove = new Command("remove", "Remove a webhook and its pending messages. Needs the admin role.") { id, reason, server, json };
        remove.SetAction((r, ct) => Guard(async admin =>
        {
            var removed = await admin.RemoveWebhookAsync(new RemoveWebhookRequest { Id = r.GetValue(id)!, Reason = r.GetValue(reason) ?? string.Empty }, cancellationToken: ct);
            FleetCommands.Print(r.GetValue(json), removed, "removed " + Describe(removed));
        }, r, server, ct));
        return remove;
    }

    private static Command Deliveries()
    {
        var webhookId = new Option<string?>("--webhook") { Description = "Only this webhook's messages." };
        var dead = new Option<bool>("--dead") { Description = "Only dead letters (attempts or age ran out): redeliver them with edge webhook redeliver ID." };
        var limit = new Option<int>("--limit") { Description = "Most messages to show, newest first (at most 1000).", DefaultValueFactory = _ => 100 };
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var deliveries = new Command("deliveries", "The webhook outbox: each message's state (pending, delivered, dead), attempts and last answer. Needs the admin role.")
        {
            webhookId, dead, limit, server, json,
        };
        deliveries.SetAction((r, ct) => Guard(async admin =>
        {
            var all = await admin.ListWebhookDeliveriesAsync(
                new ListWebhookDeliveriesRequest { WebhookId = r.GetValue(webhookId) ?? string.Empty, DeadOnly = r.GetValue(dead), Limit = r.GetValue(limit) }, cancellationToken: ct);
            FleetCommands.Print(r.GetValue(json), all, all.Deliveries.Count == 0 ? (r.GetValue(dead) ? "no dead letters" : "no webhook messages") : string.Join(Environment.NewLine, all.Deliveries.Select(Describe)));
        }, r, server, ct));
        return deliveries;
    }

    private static Command Redeliver()
    {
        var id = new Argument<string>("id") { Description = "Message id (msg_..., the webhook-id header), from edge webhook deliveries." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };
        var (server, json) = (new FleetConnection(), FleetCommands.JsonFlag());
        var redeliver = new Command("redeliver", "Send a dead (or delivered) message again: same id and body, attempts reset. Needs the admin role.") { id, reason, server, json };
        redeliver.SetAction((r, ct) => Guard(async admin =>
        {
            var queued = await admin.RedeliverWebhookAsync(new RedeliverWebhookRequest { Id = r.GetValue(id)!, Reason = r.GetValue(reason) ?? string.Empty }, cancellationToken: ct);
            FleetCommands.Print(r.GetValue(json), queued, "queued " + Describe(queued));
        }, r, server, ct));
        return redeliver;
    }

    private static Task<int> Guard(Func<AdminService.AdminServiceClient, Task> body, ParseResult result, FleetConnection connection, CancellationToken ct) =>
        FleetCommands.GuardChannel(channel => body(new AdminService.AdminServiceClient(channel)), result, connection, ct);

    private static string Describe(WebhookInfo w) =>
        $"{w.Id}  {w.Url}  events {All(w.EventTypes)}  models {All(w.Models)}  metrics {All(w.Metrics)}  by {w.CreatedBy} {Time(w.CreatedUnixMs)}"
        + (w.Description.Length == 0 ? string.Empty : "  " + w.Description);

    private static string Describe(WebhookDelivery d) =>
        $"{d.Id}  {d.WebhookId}  {d.EventType}  {d.AlertId}  {d.State}  attempts {d.Attempts.ToString(CultureInfo.InvariantCulture)}  queued {Time(d.QueuedUnixMs)}"
        + (d.State == "delivered" ? $"  delivered {Time(d.DeliveredUnixMs)}" : string.Empty)
        + (d.State == "pending" && d.Attempts > 0 ? $"  next {Time(d.NextAttemptUnixMs)}" : string.Empty)
        + (d.LastStatus != 0 ? $"  HTTP {d.LastStatus.ToString(CultureInfo.InvariantCulture)}" : string.Empty)
        + (d.LastError.Length == 0 ? string.Empty : $"  last error: {d.LastError}");

    private static string All(IEnumerable<string> values) => values.Any() ? string.Join(",", values) : "all";

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("u", CultureInfo.InvariantCulture);
}
