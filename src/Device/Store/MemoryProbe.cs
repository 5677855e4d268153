using System.Diagnostics;
using System.Globalization;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// Measures how far the process's resident memory rises while the gate loads and runs a model, so the figure held
/// against the budget includes what inference itself needs (ONNX Runtime's arena and intermediate tensors), not only
/// the weights. Why resident memory: ORT allocates natively (malloc/arena, mmap), invisible to the GC's counters, and
/// a device runs out of memory on resident pages. Two ways:
/// <list type="bullet">
/// <item>Linux: the kernel's own high-water mark. Writing "5" to <c>/proc/self/clear_refs</c> resets
/// <c>VmHWM</c> to the current RSS; after the run <c>VmHWM</c> is the true peak, however brief (no sample can miss
/// a spike between two reads). The reset is process-wide but only affects this figure.</item>
/// <item>Elsewhere (or where the reset is refused): the working set sampled every millisecond on a background thread,
/// which can miss a spike shorter than the interval.</item>
/// </list>
/// The figure is process-wide: anything else the process allocates at the same time counts too, so it errs high.
/// </summary>
internal sealed class MemoryProbe : IDisposable
{
    private const string StatusPath = "/proc/self/status";
    private readonly long _baseline;
    private readonly bool _kernelPeak;
    private readonly Thread? _sampler;
    private volatile bool _stop;
    private long _sampledPeak;

    private MemoryProbe()
    {
        _kernelPeak = TryResetHighWaterMark();
        _baseline = CurrentRss();
        _sampledPeak = _baseline;
        if (!_kernelPeak)
        {
            _sampler = new Thread(Sample) { IsBackground = true, Name = "edge-gate-memory" };
            _sampler.Start();
        }
    }

    /// <summary>Starts measuring from the current resident set.</summary>
    public static MemoryProbe Start() => new();

    /// <summary>Growth of the resident set since <see cref="Start"/>, now (after loading: the load figure).</summary>
    public long Growth() => Math.Max(0, CurrentRss() - _baseline);

    /// <summary>The highest resident set since <see cref="Start"/>, less the baseline.</summary>
    public long PeakGrowth()
    {
        var peak = _kernelPeak ? ReadStatus("VmHWM:") ?? CurrentRss() : Math.Max(Interlocked.Read(ref _sampledPeak), CurrentRss());
        return Math.Max(0, peak - _baseline);
    }

    public void Dispose()
    {
        _stop = true;
        _sampler?.Join();
    }

    private void Sample()
    {
        while (!_stop)
        {
            var rss = CurrentRss();
            if (rss > Interlocked.Read(ref _sampledPeak))
            {
                Interlocked.Exchange(ref _sampledPeak, rss);
            }

            Thread.Sleep(1);
        }
    }

    private static bool TryResetHighWaterMark()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadStatus("VmHWM:") is not null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long CurrentRss()
    {
        if (OperatingSystem.IsLinux() && ReadStatus("VmRSS:") is { } rss)
        {
            return rss;
        }

        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>A "Name:   123 kB" line of /proc/self/status, in bytes; null when absent or unreadable.</summary>
    private static long? ReadStatus(string field)
    {
        try
        {
            foreach (var line in File.ReadLines(StatusPath))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }
}
