using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace EdgeDeploy.UpdateServer.Webhooks;

/// <summary>
/// Sends the webhook outbox (Standard Webhooks): on the leader only (<see cref="ILeaderElection"/>), so replicas do not
/// send the same message twice, each <see cref="UpdateServerWebhookOptions.PollInterval"/> or at once when
/// <see cref="WebhookSignal"/> says messages were queued. Each due message is POSTed with <c>webhook-id</c>,
/// <c>webhook-timestamp</c> and <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c>; a 2xx answer
/// delivers it, anything else (another status, a timeout, no connection) schedules a retry with exponential backoff and
/// jitter, until the attempts or the age run out and it stays as a dead letter. Redirects are not followed.
/// </summary>
/// <remarks>
/// Delivery is at least once: a leader that dies (or steps down) after the receiver accepted a message but before the
/// outcome is saved sends it again from the next leader, with the same <c>webhook-id</c>; receivers de-duplicate by it.
/// </remarks>
internal sealed class WebhookDispatcher : BackgroundService
{
    /// <summary>Most due messages one round reads.</summary>
    private const int Batch = 100;

    /// <summary>Longest receiver answer (or error) kept on the outbox row.</summary>
    private const int MaxErrorLength = 300;

    private readonly IUpdateStore _store;
    private readonly ILeaderElection _election;
    private readonly WebhookSecrets _secrets;
    private readonly WebhookSignal _signal;
    private readonly UpdateServerWebhookOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _http;

    public WebhookDispatcher(
        IUpdateStore store, ILeaderElection election, WebhookSecrets secrets, WebhookSignal signal, UpdateServerOptions options, ServerMetrics metrics, TimeProvider time, ILogger<WebhookDispatcher> logger)
    {
        _store = store;
        _election = election;
        _secrets = secrets;
        _signal = signal;
        _options = options.Webhooks;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = _options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // each attempt has its own deadline (Options.Timeout)
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("EdgeDeploy-Webhooks", "1"));
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>One round: sends every due message (on the leader); returns how many were attempted.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken cancellationToken)
    {
        if (!_election.IsLeader)
        {
            return 0;
        }

        var due = await _store.ListDueWebhookDeliveriesAsync(_time.GetUtcNow().ToUnixTimeMilliseconds(), Batch, cancellationToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            return 0;
        }

        var webhooks = (await _store.ListWebhooksAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(w => w.Id, StringComparer.Ordinal);
        await Parallel.ForEachAsync(
            due,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentDeliveries, CancellationToken = cancellationToken },
            async (delivery, ct) =>
            {
                if (webhooks.TryGetValue(delivery.WebhookId, out var webhook))
                {
                    await AttemptAsync(webhook, delivery, ct).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return due.Count;
    }

    /// <summary>The <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c> under <paramref name="key"/>.</summary>
    public static string Sign(byte[] key, string id, long timestampSeconds, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(FormattableString.Invariant($"{id}.{timestampSeconds}.{body}"))));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // A full batch means more may be due: go again without waiting.
                if (await DispatchDueAsync(stoppingToken).ConfigureAwait(false) < Batch)
                {
                    await _signal.WaitAsync(_options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                ServerLog.WebhookDispatchFailed(_logger, ex, ex.Message);
                await _signal.WaitAsync(_options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AttemptAsync(WebhookRecord webhook, WebhookDeliveryRecord delivery, CancellationToken cancellationToken)
    {
        var attempt = delivery.Attempts + 1;
        var started = Stopwatch.GetTimestamp();
        var (status, error) = await SendAsync(webhook, delivery, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var now = _time.GetUtcNow();
        if (error is null)
        {
            await _store.RecordWebhookAttemptAsync(
                new WebhookAttempt(delivery.Id, WebhookDeliveryRecord.Delivered, attempt, delivery.NextAttemptUnixMs, status, string.Empty, now.ToUnixTimeMilliseconds()), cancellationToken).ConfigureAwait(false);
            _metrics.WebhookAttempted("delivered", elapsed);
            ServerLog.WebhookDelivered(_logger, webhook.Id, delivery.EventType, delivery.Id, attempt, status);
            return;
        }

        var backoff = _options.Backoff(attempt);
        var next = now + (backoff / 2) + TimeSpan.FromTicks((long)(backoff.Ticks / 2 * Random.Shared.NextDouble())); // equal jitter: between half and all of the backoff
        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(delivery.CreatedUnixMs);
        if (attempt >= _options.MaxAttempts || next - DateTimeOffset.FromUnixTimeMilliseconds(delivery.CreatedUnixMs) > _options.MaxAge)
        {
            var reason = attempt >= _options.MaxAttempts ? error : $"{error} (older than {_options.MaxAge} at its next attempt; it is {age})";
            await _store.RecordWebhookAttemptAsync(new WebhookAttempt(delivery.Id, WebhookDeliveryRecord.Dead, attempt, delivery.NextAttemptUnixMs, status, Truncate(reason), null), cancellationToken).ConfigureAwait(false);
            _metrics.WebhookAttempted("dead_lettered", elapsed);
            ServerLog.WebhookDeadLettered(_logger, webhook.Id, delivery.Id, attempt, reason);
            return;
        }

        await _store.RecordWebhookAttemptAsync(new WebhookAttempt(delivery.Id, WebhookDeliveryRecord.Pending, attempt, next.ToUnixTimeMilliseconds(), status, Truncate(error), null), cancellationToken).ConfigureAwait(false);
        _metrics.WebhookAttempted("failed", elapsed);
        ServerLog.WebhookFailed(_logger, webhook.Id, delivery.Id, attempt, error, next);
    }

    /// <summary>One POST; returns the HTTP status (0: none) and null on 2xx, or the error.</summary>
    private async Task<(int Status, string? Error)> SendAsync(WebhookRecord webhook, WebhookDeliveryRecord delivery, CancellationToken cancellationToken)
    {
        byte[] key;
        try
        {
            key = _secrets.OpenKey(webhook.Id, webhook.SecretCiphertext);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return (0, "the stored secret cannot be opened with this server's assignment key (was assignment.key replaced?): " + ex.GetType().Name);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", delivery.Id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", Sign(key, delivery.Id, timestamp, delivery.Payload));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode ? (status, null) : (status, $"HTTP {status} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (0, $"no answer within {_options.Timeout}");
        }
        catch (HttpRequestException ex)
        {
            return (0, ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : $"{ex.HttpRequestError}: {ex.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static string Truncate(string text) => text.Length <= MaxErrorLength ? text : text[..MaxErrorLength] + "…";
}
