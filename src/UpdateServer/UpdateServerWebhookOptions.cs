namespace EdgeDeploy.UpdateServer;

/// <summary>
/// Delivery of alert webhooks (configuration section "EdgeDeploy:Webhooks"): each attempt that fails (no 2xx answer
/// within <see cref="Timeout"/>) is retried after an exponential backoff with jitter (<see cref="InitialBackoff"/> doubling
/// per attempt up to <see cref="MaxBackoff"/>, each wait drawn between half and all of it) until
/// <see cref="MaxAttempts"/> attempts or <see cref="MaxAge"/> since it was queued, then kept as a dead letter.
/// </summary>
public sealed class UpdateServerWebhookOptions
{
    /// <summary>How often the leader looks for due deliveries (new alerts wake it at once). Default 1 s; at most 1 minute.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one attempt may take, connection included. Default 10 s; at most 5 minutes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts before a message becomes a dead letter. Default 8; 1 to 100.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Age (since it was queued) after which a failing message becomes a dead letter. Default 24 hours.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The wait after the first failed attempt; it doubles per attempt. Default 5 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between attempts. Default 1 hour; at least <see cref="InitialBackoff"/>.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts in flight at once (across webhooks). Default 8; 1 to 256.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>Checks the settings; called from <see cref="UpdateServerOptions.Validate"/>.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names the setting.</exception>
    public void Validate()
    {
        Range(PollInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), nameof(PollInterval));
        Range(Timeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5), nameof(Timeout));
        Range(MaxAge, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(365), nameof(MaxAge));
        Range(InitialBackoff, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1), nameof(InitialBackoff));
        Range(MaxBackoff, InitialBackoff, TimeSpan.FromDays(1), nameof(MaxBackoff));
        if (MaxAttempts is < 1 or > 100)
        {
            throw new ArgumentException($"EdgeDeploy:Webhooks:MaxAttempts must be between 1 and 100; it is {MaxAttempts}.", "Webhooks.MaxAttempts");
        }

        if (MaxConcurrentDeliveries is < 1 or > 256)
        {
            throw new ArgumentException($"EdgeDeploy:Webhooks:MaxConcurrentDeliveries must be between 1 and 256; it is {MaxConcurrentDeliveries}.", "Webhooks.MaxConcurrentDeliveries");
        }
    }

    /// <summary>The wait after failed attempt number <paramref name="attempts"/> (1-based), before jitter.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 40));
        var ticks = Math.Min(InitialBackoff.Ticks * factor, MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private static void Range(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"EdgeDeploy:Webhooks:{name} must be between {min} and {max}; it is {value}.", "Webhooks." + name);
        }
    }
}
