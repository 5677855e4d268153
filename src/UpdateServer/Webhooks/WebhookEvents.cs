using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeDeploy.UpdateServer.Webhooks;

/// <summary>
/// The webhook events and their payloads: <c>alert.firing</c> when a rule opens an alert, <c>alert.resolved</c> when the
/// value is back within the threshold. A payload is the Standard Webhooks envelope <c>{"type", "timestamp", "data"}</c>;
/// <see cref="For"/> turns one alert state change into one outbox message per webhook whose filter matches.
/// </summary>
internal static class WebhookEvents
{
    public const string AlertFiring = "alert.firing";

    public const string AlertResolved = "alert.resolved";

    /// <summary>Every event type a webhook may subscribe to.</summary>
    public static readonly string[] Types = [AlertFiring, AlertResolved];

    /// <summary>Whether <paramref name="webhook"/>'s filter takes this event (an empty list matches anything).</summary>
    public static bool Matches(WebhookRecord webhook, string eventType, string model, string metric) =>
        (webhook.EventTypes.Count == 0 || webhook.EventTypes.Contains(eventType, StringComparer.Ordinal))
        && (webhook.Models.Count == 0 || webhook.Models.Contains(model, StringComparer.Ordinal))
        && (webhook.Metrics.Count == 0 || webhook.Metrics.Contains(metric, StringComparer.Ordinal));

    /// <summary>
    /// The outbox messages for <paramref name="alert"/> entering <paramref name="eventType"/>'s state: one per matching
    /// webhook, each with its own id (the <c>webhook-id</c> header) and the same body; <paramref name="value"/> is the value
    /// measured now (at opening the alert's value, at resolving the recovered one).
    /// </summary>
    public static IReadOnlyList<WebhookDeliveryRecord> For(
        IReadOnlyList<WebhookRecord> webhooks, string eventType, AlertRecord alert, AlertRuleRecord rule, double value, long nowUnixMs, long? resolvedUnixMs)
    {
        var matching = webhooks.Where(w => Matches(w, eventType, alert.Model, alert.Metric)).ToList();
        if (matching.Count == 0)
        {
            return [];
        }

        var payload = Payload(eventType, alert, rule, value, nowUnixMs, resolvedUnixMs);
        return [.. matching.Select(w => WebhookDeliveryRecord.New("msg_" + Guid.CreateVersion7().ToString("N"), w.Id, eventType, alert.Id, payload, nowUnixMs))];
    }

    /// <summary>The JSON body: <c>{"type", "timestamp", "data": {alert, rule, model, version, metric, feature, value, threshold, direction, state, times, message}}</c>.</summary>
    public static string Payload(string eventType, AlertRecord alert, AlertRuleRecord rule, double value, long nowUnixMs, long? resolvedUnixMs)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", eventType);
            json.WriteString("timestamp", Iso(nowUnixMs));
            json.WriteStartObject("data");
            json.WriteString("alert_id", alert.Id);
            json.WriteString("rule_id", rule.Id);
            json.WriteString("model", alert.Model);
            json.WriteString("version", alert.Version);
            json.WriteString("metric", alert.Metric);
            json.WriteString("feature", rule.Feature);
            WriteNumber(json, "value", value);
            WriteNumber(json, "threshold", alert.Threshold);
            json.WriteString("direction", rule.Below ? "below" : "above");
            json.WriteString("state", eventType == AlertFiring ? "firing" : "resolved");
            json.WriteNumber("window_seconds", rule.WindowSeconds);
            json.WriteString("opened_at", Iso(alert.OpenedUnixMs));
            if (resolvedUnixMs is { } resolved)
            {
                json.WriteString("resolved_at", Iso(resolved));
            }
            else
            {
                json.WriteNull("resolved_at");
            }

            json.WriteString("message", alert.Message);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Iso(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
