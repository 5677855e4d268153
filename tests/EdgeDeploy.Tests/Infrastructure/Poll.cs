using System.Diagnostics;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// Waiting for something a background loop, another process or the thread pool does: poll a condition until it holds or
/// a generous deadline passes, then fail naming what was awaited. Deadlines are long because CI runs this suite on two
/// cores beside AOT publishes; a condition that holds returns at once, so a long deadline costs a passing test nothing.
/// </summary>
internal static class Poll
{
    /// <summary>The deadline when a test names none.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it is true; throws <see cref="TimeoutException"/> naming <paramref name="what"/> when it never is.</summary>
    public static Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, interval);

    /// <inheritdoc cref="UntilAsync(Func{bool}, Func{string}, TimeSpan?, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, Func<string> what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Not within {limit.TotalSeconds:0.#} s: {what()}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(25));
        }
    }
}
