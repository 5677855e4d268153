using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer;
using Microsoft.Extensions.Options;

namespace EdgeDeploy.Tests.UpdateServer.Webhooks;

/// <summary>EdgeDeploy:Webhooks settings: the stated defaults, the backoff schedule and the start-time validation.</summary>
public sealed class WebhookOptionsTests
{
    [Fact]
    public void Defaults_AreValidAndAsDocumented()
    {
        var options = new UpdateServerWebhookOptions();

        options.Validate();

        Assert.Equal(
            (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 8, TimeSpan.FromHours(24), TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), 8),
            (options.PollInterval, options.Timeout, options.MaxAttempts, options.MaxAge, options.InitialBackoff, options.MaxBackoff, options.MaxConcurrentDeliveries));
    }

    [Fact]
    public void Backoff_DoublesPerAttemptUpToTheMaximum()
    {
        var options = new UpdateServerWebhookOptions { InitialBackoff = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromMinutes(1) };

        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)],
            new[] { 1, 2, 3, 4, 5, 100 }.Select(options.Backoff));
    }

    [Theory]
    [InlineData("--EdgeDeploy:Webhooks:MaxAttempts=0", "EdgeDeploy:Webhooks:MaxAttempts must be between 1 and 100")]
    [InlineData("--EdgeDeploy:Webhooks:MaxBackoff=00:00:01", "EdgeDeploy:Webhooks:MaxBackoff must be between 00:00:05")]
    [InlineData("--EdgeDeploy:Webhooks:Timeout=00:00:00", "EdgeDeploy:Webhooks:Timeout must be between")]
    public async Task Start_InvalidWebhookSetting_IsRefusedNamingIt(string setting, string message)
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(async () => await UpdateServerHost.StartAsync(settings: [setting]));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }
}
