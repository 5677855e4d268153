namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// Named pause points for crash tests: with EDGE_STORE_PAUSE_AT=name set, the process prints "paused at name" and blocks
/// there so a test can kill -9 it at exactly that step. Does nothing otherwise.
/// </summary>
internal static class StoreFaults
{
    private static readonly string? PauseAt = Environment.GetEnvironmentVariable("EDGE_STORE_PAUSE_AT");

    public static void Point(string name)
    {
        if (PauseAt is not null && PauseAt == name)
        {
            Console.Out.WriteLine($"paused at {name}");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
